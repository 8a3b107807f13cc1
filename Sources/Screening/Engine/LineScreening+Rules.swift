import GreenCustomsCore

/// The shipment rules: what the agreements forbid or demand of a line, given its findings, its countries' positions
/// on the declaration date, its permits and the consistency of its codes.
extension LineScreening {
    /// The Basel Convention's Annex VII: members of the OECD, the European Union and Liechtenstein (as of 2025).
    /// Source: Basel Convention Annex VII (Ban Amendment, decision III/1); OECD member list (38 members, 2025);
    /// EU member states (27, 2025).
    static let baselAnnexVII: Set<String> = [
        "AU", "AT", "BE", "CA", "CL", "CO", "CR", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IS", "IE", "IL",
        "IT", "JP", "KR", "LV", "LT", "LU", "MX", "NL", "NZ", "NO", "PL", "PT", "SK", "SI", "ES", "SE", "CH", "TR",
        "GB", "US", "BG", "HR", "CY", "MT", "RO", "LI",
    ]

    /// The day Kigali's ban on HFC trade with States not party to the amendment takes effect (Montreal Protocol Art. 4 paras. 1 sept and 2 sept, added by the Kigali Amendment).
    static let kigaliTradeBan = CalendarDate(year: 2033, month: 1, day: 1)!

    /// Document kinds that a line should reference in `permit_refs`.
    static let permitKinds: Set<Requirement.Kind> = [
        .licence, .permit, .certificate, .notificationAndConsent, .movementDocument,
    ]

    /// What the rules need of one item the line acts on, worked out once per evidence (see `RuleBasis`).
    struct Acted {
        var key: Int32
        var regime: Regime
        var name: String
        /// The item's listings under agreements that restrict trade with States not party, with that agreement.
        var tradeListings: [(Agreement, Listing)]
        /// The Appendix I flag's message, for an item in CITES Appendix I.
        var appendixI: String?
        /// Whether the Basel Ban Amendment covers it (Annex VIII or Annex I wastes).
        var banned: Bool
        /// The POPs import flag's message, for a chemical in Stockholm Annex A or B.
        var popsImport: String?
    }

    /// What the rules need of the line's evidence alone: the merged candidates, the items acted on, and the flags of
    /// codes that contradict what the line names.
    struct RuleBasis {
        /// With offsets relative to each candidate's field, as in `Gathered`.
        var merged: [Candidate]
        var acted: [Acted]
        var codeFlags: [Flag]
    }

    func acted(_ c: Candidate) -> Acted {
        let item = engine.reference.items[Int(c.key)]
        var acted = Acted(key: c.key, regime: item.regime, name: item.names.preferred, tradeListings: [], banned: false)
        for listing in item.listings {
            if let agreement = Self.tradeAgreement(listing) { acted.tradeListings.append((agreement, listing)) }
        }
        switch item.regime {
        case .cites where item.listings.contains { Self.appendices($0.list).contains("I") }:
            let split = item.listings.contains { Self.appendices($0.list).count > 1 }
            acted.appendixI =
                "\(item.names.preferred) is in CITES Appendix I\(split ? " (some populations; the others in Appendix II)" : ""): trade for primarily commercial purposes is prohibited, and both an export and an import permit are required (Art. III)"
        case .basel where item.listings.contains { $0.list == "Annex VIII" || $0.list == "Annex I" }:
            acted.banned = true
        case .stockholm where item.listings.contains { $0.list == "Annex A" || $0.list == "Annex B" }:
            acted.popsImport =
                "\(item.names.preferred) (Stockholm \(item.listings.map(\.list).joined(separator: ", "))) may be imported only for environmentally sound disposal or a use the importing Party is permitted (Art. 3 para. 2(a)); ask for the purpose and the exemption"
        default: break
        }
        return acted
    }

    /// The documents the acted-on items need for the line's direction that a line should reference in
    /// `permit_refs`. End-use certificates (CWC Schedule 3) and the exporter's certification (Stockholm) are needed
    /// only towards States not party, which the party rules flag themselves.
    func requiredDocuments(_ acted: [Acted]) -> [String] {
        var documents: [String] = []
        for a in acted {
            for r in requirements(a.key)
            where Self.permitKinds.contains(r.kind) && !(a.regime == .stockholm && r.kind == .certificate) {
                if !documents.contains(r.document) { documents.append(r.document) }
            }
        }
        return documents
    }

    /// The rules that read the line's own date, countries, direction and permits, then the code checks.
    mutating func applyRules(_ basis: RuleBasis, documents: [String]) {
        if basis.acted.isEmpty { return }
        let date = declarationDate()
        let parties = counterparties()
        var seenAgreements = Set<String>()
        for a in basis.acted {
            for (agreement, listing) in a.tradeListings {
                checkParties(agreement, listing, parties, date, &seenAgreements)
            }
            if let message = a.appendixI { add(.citesAppendixI, message) }
            if a.banned { checkBan(a.name, parties, date) }
            if let message = a.popsImport, direction == .import, !cues.contains(.disposal) {
                add(.popsImport, message)
            }
        }
        if !documents.isEmpty, !record.has(.permitRefs) {
            var shown = ""
            for (k, document) in documents.prefix(3).enumerated() {
                if k > 0 { shown += "; " }
                shown += document
            }
            add(.missingPermit, "the line carries no permit reference, but needs: \(shown)")
        }
        for flag in basis.codeFlags { add(flag.code, flag.message) }
    }

    /// "Appendix I/II" → ["I", "II"].
    static func appendices(_ list: String) -> [Substring] {
        guard list.hasPrefix("Appendix ") else { return [] }
        return list.dropFirst("Appendix ".count).split(separator: "/")
    }

    mutating func add(_ code: Flag.Code, _ message: String) {
        if !flags.contains(where: { $0.code == code && $0.message == message }) { flags.append(Flag(code, message)) }
    }

    /// The declaration date, read from `YYYY-MM-DD` bytes (a time after it is ignored).
    func declarationDate() -> CalendarDate? {
        let field = record.slice(.date)
        guard field.count >= 10 else { return nil }
        let b = Array(field.prefix(10))
        guard b[4] == 0x2D, b[7] == 0x2D else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for k in range {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                n = n * 10 + Int(b[k] - 0x30)
            }
            return n
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        guard field.count == 10 || field[field.startIndex + 10] == 0x54 || field[field.startIndex + 10] == 0x20 else {
            return nil
        }
        return CalendarDate(year: y, month: m, day: d)
    }

    /// The line's known countries (origin, destination), each once.
    mutating func counterparties() -> [Country] {
        var out: [Country] = []
        for field in [DeclarationField.origin, .destination] {
            let code = record.string(field).uppercased()
            guard !code.isEmpty else { continue }
            guard let i = engine.tables.countries[code] else {
                add(.unknownCountry, "\(field.name) \"\(code)\" is not an ISO 3166 alpha-2 code Green Customs knows")
                continue
            }
            let country = engine.reference.countries[i]
            if !out.contains(where: { $0.code == country.code }) { out.append(country) }
        }
        if record.has(.date), declarationDate() == nil {
            add(
                .invalidDate,
                "date \"\(record.string(.date))\" is not a date (YYYY-MM-DD); party status is taken as current")
        }
        return out
    }

    static func isParty(_ country: Country, _ agreement: Agreement, _ date: CalendarDate?) -> Bool {
        guard let since = country.memberships[agreement] else { return false }
        return date.map { since <= $0 } ?? true
    }

    /// The agreement (or amendment) whose trade provisions govern a listing, when the agreement restricts trade with
    /// States not party.
    static func tradeAgreement(_ listing: Listing) -> Agreement? {
        switch listing.regime {
        case .montreal:
            if listing.list.hasPrefix("Annex A") { return .montreal }
            if listing.list.hasPrefix("Annex B") { return .london }
            if listing.list == "Annex C, Group II" { return .copenhagen }
            if listing.list.hasPrefix("Annex C") { return .beijing }
            if listing.list.hasPrefix("Annex E") { return .montrealAmendment }
            if listing.list.hasPrefix("Annex F") { return .kigali }
            return nil
        case .basel: return listing.list == "Annex IX" ? nil : .basel
        case .cites: return .cites
        case .stockholm: return listing.list == "Annex C" ? nil : .stockholm
        case .cwc: return .cwc
        case .rotterdam, .cartagena: return nil
        }
    }

    mutating func checkParties(
        _ agreement: Agreement, _ listing: Listing, _ parties: [Country], _ date: CalendarDate?,
        _ seen: inout Set<String>
    ) {
        for country in parties where !Self.isParty(country, agreement, date) {
            let when = date.map { " on \($0)" } ?? ""
            guard seen.insert("\(agreement.rawValue)|\(listing.list)|\(country.code.text)").inserted else { continue }
            let name = "\(country.name) (\(country.code.text))"
            switch (listing.regime, agreement) {
            case (.montreal, .kigali):
                if let date, date >= Self.kigaliTradeBan {
                    add(
                        .nonParty,
                        "\(name) was not party to the Kigali Amendment\(when): HFC trade with it is banned from 2033 (Montreal Protocol Art. 4 paras. 1 sept and 2 sept)"
                    )
                } else {
                    add(
                        .kigaliNonParty,
                        "\(name) had not ratified the Kigali Amendment\(when): its HFC licensing may not cover this line, and HFC trade with it will be banned from 2033"
                    )
                }
            case (.montreal, _):
                let instrument =
                    agreement == .montreal ? "the Montreal Protocol" : "the \(Self.amendmentName(agreement))"
                add(
                    .nonParty,
                    "\(name) was not party to \(instrument)\(when): trade in \(listing.list) substances with it is banned (Montreal Protocol Art. 4)"
                )
            case (.basel, _):
                add(
                    .nonParty,
                    "\(name) was not party to the Basel Convention\(when): movements of hazardous and other wastes to or from it are prohibited unless under an Article 11 agreement (Art. 4 para. 5)"
                )
            case (.cites, _):
                add(
                    .nonParty,
                    "\(name) was not party to CITES\(when): trade with it needs comparable documentation from its competent authorities (Art. X)"
                )
            case (.stockholm, _):
                add(
                    .nonParty,
                    "\(name) was not party to the Stockholm Convention\(when): export of \(listing.list) chemicals to it needs the exporting Party's annual certification (Art. 3 para. 2(b)(iii))"
                )
            case (.cwc, _):
                if listing.list.hasPrefix("Schedule 3") {
                    add(
                        .cwcNonStateParty,
                        "\(name) was not a State Party to the CWC\(when): exports of Schedule 3 chemicals to it need an end-use certificate (Verification Annex Part VIII para. 26)"
                    )
                } else {
                    add(
                        .cwcNonStateParty,
                        "\(name) was not a State Party to the CWC\(when): \(listing.list.prefix(10)) chemicals may not be transferred to or from it (Verification Annex Parts VI and VII)"
                    )
                }
            default: break
            }
        }
    }

    static func amendmentName(_ agreement: Agreement) -> String {
        switch agreement {
        case .london: "London Amendment"
        case .copenhagen: "Copenhagen Amendment"
        case .montrealAmendment: "Montreal Amendment"
        case .beijing: "Beijing Amendment"
        case .kigali: "Kigali Amendment"
        default: agreement.rawValue
        }
    }

    /// The Ban Amendment: no hazardous waste from an Annex VII country bound by it to a country outside Annex VII.
    mutating func checkBan(_ name: String, _ parties: [Country], _ date: CalendarDate?) {
        let origin = record.string(.origin).uppercased()
        let destination = record.string(.destination).uppercased()
        guard Self.baselAnnexVII.contains(origin), !destination.isEmpty, !Self.baselAnnexVII.contains(destination),
            let exporter = parties.first(where: { $0.code.text == origin }), Self.isParty(exporter, .baselBan, date)
        else { return }
        add(
            .baselBan,
            "\(name) from \(exporter.name) (Annex VII, bound by the Ban Amendment) to \(destination), outside Annex VII: the export is prohibited (Basel Convention Art. 4A)"
        )
    }

    /// Codes that contradict what the line names: an HS code of another substance, a CAS number of another item.
    mutating func checkCodes(_ acted: [Candidate]) {
        let named = acted.filter { $0.via < 0 && $0.basis != .hsCode && $0.basis != .casNumber }
        if subheading >= 0 {
            let chapter = Int(subheading / 10_000)
            let others = engine.tables.byHS[UInt64(subheading)]
            for c in named where facts[Int(c.key)].isChemical && !facts[Int(c.key)].subheadings.isEmpty {
                let f = facts[Int(c.key)]
                guard !f.subheadings.contains(subheading) else { continue }
                let otherItem = others.first { !facts[Int($0)].subheadings.isEmpty && $0 != c.key }
                guard otherItem != nil || [28, 29, 38].contains(chapter) else { continue }
                let item = engine.reference.items[Int(c.key)]
                let expected = item.identifiers.hs.map(\.formatted).joined(separator: " or ")
                var message =
                    "HS \(record.string(.hsCode)) is not a code for \(item.names.preferred) (expected \(expected))"
                if let o = otherItem {
                    message += "; it is the code of \(engine.reference.items[Int(o)].names.preferred)"
                }
                add(.hsMismatch, message)
            }
        }
        if let cas = validCAS {
            let chemicals = named.filter { facts[Int($0.key)].isChemical }
            let casOwners = engine.tables.byCAS[cas.text] ?? []
            let casItems = Set(casOwners)
            for c in chemicals where !casItems.contains(c.key) {
                let item = engine.reference.items[Int(c.key)]
                guard !item.identifiers.cas.isEmpty, !item.identifiers.cas.contains(cas) else { continue }
                // A blend's components carry their own CAS numbers.
                if item.composition.contains(where: { comp in
                    comp.itemID.flatMap { engine.tables.positions[$0] }.map { casItems.contains($0) } ?? false
                }) {
                    continue
                }
                let owner =
                    casOwners.min().map { " (that is \(engine.reference.items[Int($0)].names.preferred))" } ?? ""
                add(
                    .casMismatch,
                    "CAS \(cas.text)\(owner) is not the CAS number of \(item.names.preferred) (\(item.identifiers.cas.map(\.text).joined(separator: ", ")))"
                )
            }
        }
    }
}
