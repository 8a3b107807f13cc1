import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import ReferenceData

/// The bundled facts checked against independent real records in ../shared/data (skipped when absent).
@Suite("Cross-checks against real data")
struct CrossCheckTests {
    let set = Fixtures.bundled.set

    static func json(_ relative: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: SharedData.file(relative))
        return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
    }

    /// Days since a fixed epoch (proleptic Gregorian), for comparing dates.
    static func dayNumber(_ d: CalendarDate) -> Int {
        let a = (14 - d.month) / 12
        let y = d.year + 4800 - a
        let m = d.month + 12 * a - 3
        return d.day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045
    }

    static func key(_ s: String) -> String { s.lowercased().filter { $0.isLetter || $0.isNumber } }

    @Test(
        "Montreal substances: ODP of every substance the Ozone Secretariat lists",
        .enabled(if: SharedData.has("montreal/substances.json")))
    func montrealSubstances() throws {
        var byName: [String: ControlledItem] = [:]
        for item in set.items where item.regime == .montreal && item.kind == .substance && item.controlled {
            for name in [item.names.preferred] + item.names.synonyms where byName[Self.key(name)] == nil {
                byName[Self.key(name)] = item
            }
        }
        var compared = 0
        var mismatches: [String] = []
        for record in try Self.json("montreal/substances.json") {
            let fields = record["fields"] as! [String: Any]
            // "HBFC-132 B2 (C2H2F2Br2)" → "HBFC-132 B2"
            let name = String((fields["name"] as! String).split(separator: "(").first ?? "").trimmingCharacters(
                in: .whitespaces)
            guard let item = byName[Self.key(name)], let odp = item.odp, let high = fields["max_odp"] as? Double,
                let low = fields["min_odp"] as? Double
            else { continue }
            compared += 1
            // A specific isomer (HCFC-123, CHCl2CF3) may carry one value inside its group's range.
            let agrees = abs(odp.high - high) < 1e-9 || (odp.low >= low - 1e-9 && odp.high <= high + 1e-9)
            if !agrees { mismatches.append("\(name): ODP \(odp) vs \(low)–\(high)") }
        }
        #expect(compared >= 100, "only \(compared) substances matched by name")
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test(
        "Montreal blends: compositions agree with the Ozone Secretariat's",
        .enabled(if: SharedData.has("montreal/blends.json")))
    func montrealBlends() throws {
        var byASHRAE: [String: ControlledItem] = [:]
        for item in set.items where item.kind == .mixture {
            if let a = item.identifiers.ashrae { byASHRAE[a.key] = item }
        }
        var compared = 0
        var mismatches: [String] = []
        for record in try Self.json("montreal/blends.json") {
            let fields = record["fields"] as! [String: Any]
            guard let id = fields["blend_id"] as? String, let designation = ASHRAEDesignation(id),
                let item = byASHRAE[designation.key]
            else { continue }
            var theirs: [String: Double] = [:]
            // The Secretariat writes hydro-olefins HO-1270 and HCO-1130(E).
            let composition = (fields["composition"] as! String).replacingOccurrences(of: "HCO-", with: "R-")
                .replacingOccurrences(of: "HO-", with: "R-")
            for part in composition.split(separator: ",") {
                let pieces = part.split(separator: "=")
                guard pieces.count == 2, let d = ASHRAEDesignation(pieces[0].trimmingASCIISpaces()),
                    let p = Double(pieces[1].trimmingASCIISpaces().dropLast())
                else { continue }
                theirs[d.key, default: 0] += p
            }
            let ours = Dictionary(
                item.composition.map { (ASHRAEDesignation($0.designation)!.key, $0.massPercent) }, uniquingKeysWith: +)
            compared += 1
            if ours.keys.sorted() != theirs.keys.sorted()
                || ours.contains(where: { abs($0.value - (theirs[$0.key] ?? -1)) > 0.01 })
            {
                mismatches.append("\(id): ours \(ours) theirs \(theirs)")
            }
        }
        #expect(compared >= 120, "only \(compared) blends matched")
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test(
        "Montreal Protocol and amendments: party dates agree with the Ozone Secretariat's records",
        .enabled(if: SharedData.has("montreal/partiesratification.json")))
    func montrealParties() throws {
        var iso: [Int: String] = [:]
        for record in try Self.json("montreal/parties.json") {
            iso[record["pk"] as! Int] = (record["fields"] as! [String: Any])["abbr"] as? String
        }
        let columns: [Int: Agreement] = [
            2: .montreal, 3: .london, 4: .copenhagen, 5: .montrealAmendment, 6: .beijing, 7: .kigali,
        ]
        let countries = Dictionary(set.countries.map { ($0.code.text, $0) }, uniquingKeysWith: { a, _ in a })
        var compared = 0
        var mismatches: [String] = []
        for record in try Self.json("montreal/partiesratification.json") {
            let fields = record["fields"] as! [String: Any]
            guard let agreement = columns[fields["treaty"] as! Int], let code = iso[fields["party"] as! Int],
                let country = countries[code],
                let date = (fields["entry_into_force_date"] as? String).flatMap({ CalendarDate(iso: $0) })
            else { continue }
            compared += 1
            if country.memberships[agreement] != date {
                mismatches.append(
                    "\(code) \(agreement.rawValue): \(country.memberships[agreement]?.description ?? "none") vs \(date)"
                )
            }
        }
        #expect(compared >= 1_000)
        #expect(
            Double(mismatches.count) <= Double(compared) * 0.02,
            "\(mismatches.count) of \(compared) differ: \(mismatches.prefix(20))")
    }

    @Test(
        "CITES, Basel, Rotterdam and CWC: party dates agree with the HUGGO membership records",
        .enabled(if: SharedData.has("parties/HUGGO_MEM_reconciled.csv")))
    func treatyParties() throws {
        let bytes = [UInt8](try Data(contentsOf: SharedData.file("parties/HUGGO_MEM_reconciled.csv")))
        let table = try CSVTable(bytes: bytes, file: "HUGGO_MEM_reconciled.csv")
        let treaties: [String: Agreement] = [
            "CITES_1973A": .cites, "CTMHWD_1989A": .basel, "PIC_1998A": .rotterdam, "PD04WD_1992A": .cwc,
        ]
        let byAlpha3 = Dictionary(set.countries.map { ($0.alpha3, $0) }, uniquingKeysWith: { a, _ in a })
        let (t, s) = (table.column("treatyID")!, table.column("stateID")!)
        // Entry into force for the state, from whichever of the record's sources has it.
        let forceColumns = ["stateForce", "stateForce_ecolex", "stateForce_iea"].compactMap { table.column($0) }
        var compared: [Agreement: Int] = [:]
        var differ: [Agreement: [String]] = [:]
        for record in table.records {
            guard let agreement = treaties[record.fields[t]], let country = byAlpha3[record.fields[s]] else { continue }
            let sourceIndex = forceColumns.firstIndex { record.fields[$0].split(separator: ".").count == 3 }
            let force = sourceIndex.map { record.fields[forceColumns[$0]] } ?? ""
            // The secondary sources (ECOLEX, IEA) are often a day or two off the depositary's date: allow 3 days.
            let tolerance = sourceIndex == 0 ? 0 : 3
            let parts = force.split(separator: ".")
            guard parts.count == 3, let date = CalendarDate(iso: "\(parts[2])-\(parts[1])-\(parts[0])") else {
                continue
            }
            compared[agreement, default: 0] += 1
            let ours = country.memberships[agreement]
            // ECOLEX often records the deposit, 90 days before entry into force.
            let gap = ours.map { Self.dayNumber($0) - Self.dayNumber(date) }
            let agrees = gap.map { abs($0) <= tolerance || (tolerance > 0 && abs($0 - 90) <= tolerance) } ?? false
            if !agrees {
                differ[agreement, default: []].append(
                    "\(country.code) \(country.memberships[agreement]?.description ?? "none") vs \(date)")
            }
        }
        for (agreement, count) in compared {
            let mismatches = differ[agreement] ?? []
            #expect(count >= 150, "\(agreement): only \(count) compared")
            // Successions (Czechia, Slovakia, Montenegro) are dated differently by different sources: allow 7 %.
            #expect(
                Double(mismatches.count) <= Double(count) * 0.07,
                "\(agreement): \(mismatches.count) of \(count) differ: \(mismatches.prefix(15))")
        }
    }

    @Test(
        "Every HS code in the bundled files is an HS 2022 subheading",
        .enabled(if: SharedData.has("hs/harmonized-system-2022.csv")))
    func hsCodesExist() throws {
        let bytes = [UInt8](try Data(contentsOf: SharedData.file("hs/harmonized-system-2022.csv")))
        let table = try CSVTable(bytes: bytes, file: "harmonized-system-2022.csv")
        let (code, level) = (table.column("hscode")!, table.column("level")!)
        let subheadings = Set(table.records.filter { $0.fields[level] == "6" }.map { $0.fields[code] })
        #expect(subheadings.count > 5_000)
        var unknown: [String] = []
        for item in set.items {
            for hs in item.identifiers.hs where !subheadings.contains(hs.subheading) {
                unknown.append("\(item.id): \(hs)")
            }
        }
        for link in set.hsLinks where !subheadings.contains(link.hs.subheading) { unknown.append("hs link \(link.hs)") }
        #expect(unknown.isEmpty, "\(unknown)")
    }
}
