import GreenCustomsCore

/// Accumulates the records of all reference files and the problems found in them.
struct BuildContext {
    var items: [ControlledItem] = []
    var countries: [Country] = []
    var requirements: [Requirement] = []
    var hsLinks: [HSLink] = []
    var tradeTerms: [TradeTerm] = []
    var issues: [ReferenceIssue] = []
    var locations: [String: ReferenceIssue] = [:]
    /// ASHRAE key → item index, for resolving blend components.
    var byASHRAE: [String: Int] = [:]
    private var pendingLinks: [(link: HSLink, at: ReferenceIssue)] = []
    private var pendingTerms: [(term: TradeTerm, at: ReferenceIssue)] = []

    static let requiredColumns: [String: [String]] = [
        // `cas` may be empty for groups of isomers.
        "montreal_substances": ["id", "name", "annex", "group", "cas", "odp", "in_force", "source"],
        "refrigerants_other": ["id", "ashrae", "name", "source"],
        "montreal_blends": ["id", "ashrae", "composition", "source"],
        "rotterdam_annex3": ["id", "name", "category", "cas", "in_force", "source"],
        "stockholm_annexes": ["id", "name", "annex", "cas", "in_force", "source"],
        "cwc_schedules": ["id", "name", "schedule", "part", "entry", "kind", "cas", "source"],
        "basel_entries": ["id", "code", "annex", "name", "source"],
        "cites_higher_taxa": ["id", "taxon", "rank", "appendix", "source"],
        "cites_species": ["id", "taxon", "appendix", "source"],
        "cartagena_lmo_events": ["id", "unique_id", "event", "crop", "source"],
        "countries": ["iso2", "iso3", "numeric", "name", "source"],
        "requirements": ["regime", "listing", "direction", "requirement", "document", "description", "source"],
        "hs_interconnection": ["hs", "description", "regimes", "coverage", "source"],
        "trade_terms": ["term", "lang", "items", "source"],
    ]

    /// The day each list or agreement first took effect: no listing or membership can be older.
    static let earliest: [Regime: CalendarDate] = [
        .cites: CalendarDate(year: 1975, month: 7, day: 1)!,
        .montreal: CalendarDate(year: 1989, month: 1, day: 1)!,
        .basel: CalendarDate(year: 1992, month: 5, day: 5)!,
        .cwc: CalendarDate(year: 1997, month: 4, day: 29)!,
        .cartagena: CalendarDate(year: 2003, month: 9, day: 11)!,
        .rotterdam: CalendarDate(year: 2004, month: 2, day: 24)!,
        .stockholm: CalendarDate(year: 2004, month: 5, day: 17)!,
    ]

    static let agreementEarliest: [Agreement: CalendarDate] = [
        .basel: earliest[.basel]!, .baselBan: CalendarDate(year: 2019, month: 12, day: 5)!,
        .cartagena: earliest[.cartagena]!, .cites: earliest[.cites]!, .cwc: earliest[.cwc]!,
        .montreal: earliest[.montreal]!, .london: CalendarDate(year: 1992, month: 8, day: 10)!,
        .copenhagen: CalendarDate(year: 1994, month: 6, day: 14)!,
        .montrealAmendment: CalendarDate(year: 1999, month: 11, day: 10)!,
        .beijing: CalendarDate(year: 2002, month: 2, day: 25)!, .kigali: CalendarDate(year: 2019, month: 1, day: 1)!,
        .rotterdam: earliest[.rotterdam]!, .stockholm: earliest[.stockholm]!,
    ]

    mutating func add(_ item: ControlledItem, _ row: RowReader) {
        issues += row.issues
        guard !item.id.isEmpty else { return }
        let here = ReferenceIssue(file: row.table.file, line: row.line, field: "id", message: "")
        if let first = locations[item.id] {
            issues.append(
                ReferenceIssue(
                    file: row.table.file, line: row.line, field: "id",
                    message: "duplicate id \(item.id) (first defined at \(first.file):\(first.line))"))
            return
        }
        locations[item.id] = here
        // Blend components are single refrigerants: only items without a composition are registered.
        if let ashrae = item.identifiers.ashrae, item.composition.isEmpty, byASHRAE[ashrae.key] == nil {
            byASHRAE[ashrae.key] = items.count
        }
        items.append(item)
    }

    mutating func forEachRow(_ table: CSVTable, _ body: (inout RowReader) -> ControlledItem?) {
        for record in table.records {
            var row = RowReader(table: table, record: record)
            if let item = body(&row) { add(item, row) } else { issues += row.issues }
        }
    }

    // MARK: Montreal Protocol

    static let montrealCategory: [String: String] = [
        "A-I": "CFC", "A-II": "halon", "B-I": "other fully halogenated CFC", "B-II": "carbon tetrachloride",
        "B-III": "methyl chloroform", "C-I": "HCFC", "C-II": "HBFC", "C-III": "bromochloromethane",
        "E-I": "methyl bromide", "F-I": "HFC", "F-II": "HFC-23",
    ]

    static func montrealSubstances(_ c: inout BuildContext, _ table: CSVTable) {
        c.forEachRow(table) { row in
            let id = row.id(regime: "montreal")
            let annex = row.oneOf("annex", ["A", "B", "C", "E", "F"])
            let group = row.oneOf("group", ["I", "II", "III"])
            if !annex.isEmpty, !group.isEmpty, montrealCategory["\(annex)-\(group)"] == nil {
                row.issue("group", "Annex \(annex) has no Group \(group)")
            }
            let odpText = row.required("odp")
            let odp = ODP(odpText)
            if !odpText.isEmpty, odp == nil { row.issue("odp", "\"\(odpText)\" is not a number or a range low-high") }
            let ashrae = row.optional("ashrae").flatMap { raw -> ASHRAEDesignation? in
                let d = ASHRAEDesignation(raw)
                if d == nil { row.issue("ashrae", "\"\(raw)\" is not an ASHRAE designation such as R-22") }
                return d
            }
            // Groups of isomers (most HBFCs, some C3 HCFCs) have no single CAS number.
            let cas = row.casNumbers()
            let names = ItemNames(
                preferred: row.required("name"),
                synonyms: [row.text("chemical_name")].filter { !$0.isEmpty } + row.list("synonyms"),
                tradeNames: row.list("trade_names"))
            return ControlledItem(
                id: id, regime: .montreal, kind: .substance, names: names,
                identifiers: ItemIdentifiers(
                    cas: cas, hs: row.hsCodes(), ashrae: ashrae, formula: row.optional("formula")),
                listings: [
                    Listing(
                        regime: .montreal, list: "Annex \(annex), Group \(group)",
                        inForce: row.date("in_force", earliest: earliest[.montreal]))
                ],
                odp: odp, gwp: row.number("gwp"), category: montrealCategory["\(annex)-\(group)"],
                source: row.required("source"))
        }
    }

    static func otherRefrigerants(_ c: inout BuildContext, _ table: CSVTable) {
        c.forEachRow(table) { row in
            let id = row.id(regime: "refrigerant")
            let raw = row.text("ashrae")
            let ashrae = raw.isEmpty ? nil : ASHRAEDesignation(raw)
            if !raw.isEmpty, ashrae == nil { row.issue("ashrae", "\"\(raw)\" is not an ASHRAE designation") }
            let odp = row.optional("odp").flatMap { ODP($0) }
            return ControlledItem(
                id: id, regime: .montreal, kind: .substance, controlled: false,
                names: ItemNames(
                    preferred: row.required("name"),
                    synonyms: [row.text("chemical_name")].filter { !$0.isEmpty } + row.list("synonyms"),
                    tradeNames: row.list("trade_names")),
                identifiers: ItemIdentifiers(
                    cas: row.casNumbers(), hs: row.hsCodes(), ashrae: ashrae, formula: row.optional("formula")),
                odp: odp, gwp: row.number("gwp"), category: "refrigerant not controlled by the Montreal Protocol",
                note: row.optional("note"), source: row.required("source"))
        }
    }

    static func montrealBlends(_ c: inout BuildContext, _ table: CSVTable) {
        let substances = c.items
        let byASHRAE = c.byASHRAE
        c.forEachRow(table) { row in
            let id = row.id(regime: "montreal")
            let ashraeText = row.optional("ashrae")
            let ashrae = ashraeText.flatMap { raw -> ASHRAEDesignation? in
                let d = ASHRAEDesignation(raw)
                if d == nil { row.issue("ashrae", "\"\(raw)\" is not an ASHRAE designation such as R-410A") }
                return d
            }
            var components: [Component] = []
            var total = 0.0
            for part in row.list("composition") {
                let pieces = part.split(separator: ":")
                guard pieces.count == 2, let percent = Double(pieces[1].trimmingASCIISpaces()), percent > 0 else {
                    row.issue("composition", "\"\(part)\" is not DESIGNATION:PERCENT")
                    continue
                }
                let designation = String(pieces[0].trimmingASCIISpaces())
                let index = ASHRAEDesignation(designation).flatMap { byASHRAE[$0.key] }
                if index == nil { row.issue("composition", "component \(designation) is not a known refrigerant") }
                components.append(
                    Component(designation: designation, itemID: index.map { substances[$0].id }, massPercent: percent))
                total += percent
            }
            if components.isEmpty {
                row.issue("composition", "is required but empty")
            } else if abs(total - 100) > 0.001 {
                row.issue(
                    "composition",
                    "mass percentages sum to \(formatNumber((total * 1000).rounded() / 1000)) %, not 100 %")
            }
            let parts = components.compactMap { comp in
                comp.itemID.flatMap { id in substances.first { $0.id == id } }.map { (comp, $0) }
            }
            let derived = BlendProperties(parts: parts)
            let preferred = ashrae?.text ?? row.optional("trade_names").map { splitList($0).first ?? id } ?? id
            return ControlledItem(
                id: id, regime: .montreal, kind: .mixture, controlled: derived.controlled,
                names: ItemNames(
                    preferred: preferred, synonyms: row.list("synonyms"), tradeNames: row.list("trade_names")),
                identifiers: ItemIdentifiers(
                    hs: derived.hs.map { [$0] } ?? [], ashrae: ashrae,
                    formula: components.map { "\($0.designation) \(formatNumber($0.massPercent)) %" }.joined(
                        separator: ", ")),
                listings: derived.listings, odp: derived.odp, gwp: derived.gwp, composition: components,
                related: components.compactMap(\.itemID),
                category: derived.controlled
                    ? "refrigerant blend" : "refrigerant blend not controlled by the Montreal Protocol",
                note: derived.note,
                source: row.required("source") + "; HS 2022 heading 38.27 subheading derived from the composition")
        }
    }

    // MARK: Rotterdam, Stockholm, CWC

    /// Names written `Short: systematic name` (`Sarin: O-Isopropyl methylphosphonofluoridate`) give the short
    /// name as the preferred one and the systematic name as a synonym.
    static func chemicalNames(_ row: inout RowReader) -> ItemNames {
        let name = row.required("name")
        var synonyms = row.list("synonyms")
        var preferred = name
        if let colon = name.range(of: ": "), name.distance(from: name.startIndex, to: colon.lowerBound) <= 40 {
            preferred = String(name[..<colon.lowerBound])
            let systematic = String(name[colon.upperBound...])
            if !synonyms.contains(systematic) { synonyms.insert(systematic, at: 0) }
        }
        return ItemNames(preferred: preferred, synonyms: synonyms)
    }

    static func rotterdam(_ c: inout BuildContext, _ table: CSVTable) {
        c.forEachRow(table) { row in
            let category = row.oneOf(
                "category",
                ["pesticide", "severely hazardous pesticide formulation", "industrial", "pesticide | industrial"])
            return ControlledItem(
                id: row.id(regime: "rotterdam"), regime: .rotterdam, kind: .substance,
                names: chemicalNames(&row),
                identifiers: ItemIdentifiers(cas: row.casNumbers(), hs: row.hsCodes()),
                listings: [
                    Listing(
                        regime: .rotterdam, list: "Annex III",
                        inForce: row.date("in_force", earliest: earliest[.rotterdam]),
                        annotation: row.optional("annotation"))
                ],
                category: category, source: row.required("source"))
        }
    }

    static func stockholm(_ c: inout BuildContext, _ table: CSVTable) {
        c.forEachRow(table) { row in
            let annex = row.oneOf("annex", ["A", "B", "C"])
            let label = ["A": "elimination", "B": "restriction", "C": "unintentional production"][annex]
            return ControlledItem(
                id: row.id(regime: "stockholm"), regime: .stockholm, kind: .substance,
                names: chemicalNames(&row),
                identifiers: ItemIdentifiers(cas: row.casNumbers(), hs: row.hsCodes()),
                listings: [
                    Listing(
                        regime: .stockholm, list: "Annex \(annex)",
                        inForce: row.date("in_force", earliest: earliest[.stockholm]),
                        annotation: row.optional("annotation"))
                ],
                category: label.map { "persistent organic pollutant (\($0))" }, source: row.required("source"))
        }
    }

    static func cwc(_ c: inout BuildContext, _ table: CSVTable) {
        c.forEachRow(table) { row in
            let schedule = row.oneOf("schedule", ["1", "2", "3"])
            let part = row.oneOf("part", ["A", "B"])
            let kind = row.oneOf("kind", ["chemical", "family"])
            let family = row.optional("family")
            let cas = row.casNumbers()
            if kind == "chemical", cas.isEmpty { row.issue("cas", "a named chemical needs its CAS number") }
            return ControlledItem(
                id: row.id(regime: "cwc"), regime: .cwc, kind: kind == "family" ? .family : .scheduledChemical,
                names: chemicalNames(&row),
                identifiers: ItemIdentifiers(cas: cas, hs: row.hsCodes()),
                listings: [
                    Listing(regime: .cwc, list: "Schedule \(schedule), Part \(part)", entry: row.required("entry"))
                ],
                related: family.map { [$0] } ?? [],
                category: part == "A" ? "toxic chemical" : "precursor", source: row.required("source"))
        }
    }

    // MARK: Basel

    static func basel(_ c: inout BuildContext, _ table: CSVTable) {
        c.forEachRow(table) { row in
            let annex = row.oneOf("annex", ["I", "II", "III", "VIII", "IX"])
            let codeText = row.required("code")
            let code = BaselCode(codeText)
            if !codeText.isEmpty, code == nil {
                row.issue("code", "\"\(codeText)\" is not a Basel code (Y1–Y49, A1010…, B1010…, H1–H13)")
            }
            if let code {
                let expected: [BaselCode.List: [String]] = [.y: ["I", "II"], .a: ["VIII"], .b: ["IX"], .h: ["III"]]
                if !(expected[code.list] ?? []).contains(annex) {
                    row.issue("annex", "code \(code) does not belong in Annex \(annex)")
                }
            }
            let category: String? =
                switch annex {
                case "I": "waste category to be controlled"
                case "II": "waste category requiring special consideration"
                case "III": "hazardous characteristic"
                case "VIII": "hazardous waste (A-list)"
                case "IX": "waste not covered unless it has Annex III characteristics (B-list)"
                default: nil
                }
            return ControlledItem(
                id: row.id(regime: "basel"), regime: .basel, kind: .waste, controlled: annex != "IX",
                names: ItemNames(preferred: row.required("name"), synonyms: row.list("synonyms")),
                identifiers: ItemIdentifiers(hs: row.hsCodes(), basel: code),
                listings: [
                    Listing(
                        regime: .basel, list: "Annex \(annex)", entry: code?.text,
                        inForce: row.date("in_force", earliest: earliest[.basel]))
                ],
                category: category, note: row.optional("note"), source: row.required("source"))
        }
    }

    // MARK: CITES

    static let appendices = ["I", "II", "III", "I/II", "I/III", "II/III", "I/II/III"]

    static func citesHigherTaxa(_ c: inout BuildContext, _ table: CSVTable) {
        c.forEachRow(table) { row in
            let rankText = row.oneOf("rank", ["GENUS", "SUBFAMILY", "FAMILY", "ORDER", "CLASS", "PHYLUM"])
            let rank = Taxonomy.Rank(rawValue: rankText) ?? .genus
            let taxon = row.required("taxon")
            if taxon.contains(" ") { row.issue("taxon", "\"\(taxon)\" has a space: higher taxa are one word") }
            var taxonomy = Taxonomy(
                rank: rank, kingdom: row.optional("kingdom"), class: row.optional("class"),
                order: row.optional("order"),
                family: row.optional("family"))
            if rank == .genus { taxonomy.genus = taxon }
            return citesItem(&row, taxon: taxon, taxonomy: taxonomy)
        }
    }

    static func citesSpecies(_ c: inout BuildContext, _ table: CSVTable) {
        c.forEachRow(table) { row in
            let taxon = row.required("taxon")
            let words = taxon.split(separator: " ")
            if !taxon.isEmpty, !(2...4).contains(words.count) {
                row.issue("taxon", "\"\(taxon)\" is not a species or subspecies name")
            }
            let taxonomy = Taxonomy(
                rank: words.count >= 3 ? .subspecies : .species, kingdom: row.optional("kingdom"),
                class: row.optional("class"), order: row.optional("order"), family: row.optional("family"),
                genus: words.first.map(String.init))
            return citesItem(&row, taxon: taxon, taxonomy: taxonomy)
        }
    }

    static func citesItem(_ row: inout RowReader, taxon: String, taxonomy: Taxonomy) -> ControlledItem {
        let appendix = row.oneOf("appendix", appendices)
        var common: [String: [String]] = [:]
        for lang in ["en", "fr", "es"] {
            let names = row.list("common_\(lang)")
            if !names.isEmpty { common[lang] = names }
        }
        return ControlledItem(
            id: row.id(regime: "cites"), regime: .cites, kind: .taxon,
            names: ItemNames(preferred: taxon, synonyms: row.list("synonyms"), common: common),
            listings: [
                Listing(
                    regime: .cites, list: "Appendix \(appendix)",
                    inForce: row.date("in_force", earliest: earliest[.cites]),
                    annotation: row.optional("annotation"))
            ],
            taxonomy: taxonomy, excludes: row.list("excludes"), source: row.required("source"))
    }

    // MARK: Cartagena

    static func lmoEvents(_ c: inout BuildContext, _ table: CSVTable) {
        c.forEachRow(table) { row in
            let raw = row.required("unique_id")
            let lmo = LMOIdentifier(raw)
            if !raw.isEmpty, lmo == nil {
                row.issue("unique_id", "\"\(raw)\" is not an OECD unique identifier (XXX-YYYYY-Z)")
            }
            let event = row.required("event")
            let crop = row.required("crop")
            let traits = row.list("traits")
            // How officers and traders describe such goods: "GM maize", "Bt cotton", "herbicide-tolerant soybean".
            let lowerCrop = crop.lowercased()
            var descriptions = ["GM \(lowerCrop)", "genetically modified \(lowerCrop)", "transgenic \(lowerCrop)"]
            let traitText = traits.joined(separator: " ").lowercased()
            if traitText.contains("cry") || traitText.contains("vip") || traitText.contains("insect") {
                descriptions.append("Bt \(lowerCrop)")
            }
            if traitText.contains("herbicide") || traitText.contains("glyphosate") || traitText.contains("glufosinate")
            {
                descriptions.append("herbicide-tolerant \(lowerCrop)")
            }
            return ControlledItem(
                id: row.id(regime: "cartagena"), regime: .cartagena, kind: .lmo,
                names: ItemNames(
                    preferred: "\(crop) \(event)",
                    synonyms: [event, row.text("scientific_name")].filter { !$0.isEmpty } + descriptions,
                    tradeNames: row.list("trade_names")),
                identifiers: ItemIdentifiers(hs: row.hsCodes(), lmo: lmo),
                listings: [
                    Listing(
                        regime: .cartagena, list: "Living modified organism",
                        annotation: traits.isEmpty ? nil : "Traits: " + traits.joined(separator: "; "))
                ],
                category: crop.lowercased(),
                note: row.optional("developer").map { "Developer: \($0)" }, source: row.required("source"))
        }
    }

    // MARK: Countries, requirements, HS links

    static func countries(_ c: inout BuildContext, _ table: CSVTable) {
        var seen: [String: Int] = [:]
        for record in table.records {
            var row = RowReader(table: table, record: record)
            let iso2 = row.required("iso2")
            let code = CountryCode(iso2)
            if !iso2.isEmpty, code == nil { row.issue("iso2", "\"\(iso2)\" is not an ISO 3166-1 alpha-2 code") }
            let iso3 = row.required("iso3")
            if !iso3.isEmpty, !(iso3.count == 3 && iso3.allSatisfy { $0.isUppercase && $0.isASCII }) {
                row.issue("iso3", "\"\(iso3)\" is not an ISO 3166-1 alpha-3 code")
            }
            let numeric = row.required("numeric")
            if !numeric.isEmpty, !(numeric.count == 3 && numeric.allSatisfy { $0.isASCII && $0.isNumber }) {
                row.issue("numeric", "\"\(numeric)\" is not a three-digit ISO 3166-1 numeric code")
            }
            if let first = seen[iso2] {
                row.issue("iso2", "duplicate country \(iso2) (first at line \(first))")
            }
            seen[iso2] = row.line
            var memberships: [Agreement: CalendarDate] = [:]
            for agreement in Agreement.allCases {
                if let date = row.date(agreement.rawValue, earliest: agreementEarliest[agreement]) {
                    memberships[agreement] = date
                }
            }
            for amendment in [Agreement.london, .copenhagen, .montrealAmendment, .beijing, .kigali]
            where memberships[amendment] != nil && memberships[.montreal] == nil {
                row.issue(amendment.rawValue, "party to an amendment but not to the Montreal Protocol")
            }
            if memberships[.baselBan] != nil && memberships[.basel] == nil {
                row.issue("basel_ban", "party to the Ban Amendment but not to the Basel Convention")
            }
            var names: [String: String] = ["en": row.required("name")]
            if let fr = row.optional("name_fr") { names["fr"] = fr }
            if let es = row.optional("name_es") { names["es"] = es }
            let via = row.optional("party_via")
            let source = row.required("source")
            c.issues += row.issues
            if let code {
                c.countries.append(
                    Country(
                        code: code, alpha3: iso3, numeric: numeric, names: names,
                        partyVia: via.flatMap { CountryCode($0) },
                        memberships: memberships, source: source))
            }
        }
        let codes = Set(c.countries.map(\.code))
        for (country, record) in zip(c.countries, table.records) {
            if let via = country.partyVia, !codes.contains(via) {
                c.issues.append(
                    ReferenceIssue(
                        file: table.file, line: record.line, field: "party_via", message: "\(via) is not in this file"))
            }
        }
    }

    static func requirements(_ c: inout BuildContext, _ table: CSVTable) {
        for record in table.records {
            var row = RowReader(table: table, record: record)
            let regime = row.oneOf("regime", Regime.allCases.map(\.rawValue))
            let direction = row.oneOf("direction", Direction.allCases.map(\.rawValue))
            let kind = row.oneOf("requirement", Requirement.Kind.allCases.map(\.rawValue))
            let requirement = Requirement(
                regime: Regime(rawValue: regime) ?? .basel, listing: row.required("listing"),
                direction: Direction(rawValue: direction) ?? .any,
                kind: Requirement.Kind(rawValue: kind) ?? .documentation,
                document: row.required("document"), description: row.required("description"),
                source: row.required("source"))
            if row.issues.isEmpty { c.requirements.append(requirement) }
            c.issues += row.issues
        }
    }

    static func hsLinks(_ c: inout BuildContext, _ table: CSVTable) {
        for record in table.records {
            var row = RowReader(table: table, record: record)
            let hs = row.hsCodes()
            if hs.count != 1 { row.issue("hs", "needs exactly one HS subheading") }
            var regimes: [Regime] = []
            for raw in row.list("regimes") {
                if let r = Regime(rawValue: raw) {
                    regimes.append(r)
                } else {
                    row.issue("regimes", "\"\(raw)\" is not a regime id")
                }
            }
            if regimes.isEmpty { row.issue("regimes", "is required but empty") }
            let coverage = row.oneOf("coverage", ["names", "covers", "possible"])
            let description = row.required("description")
            guard let code = hs.first else {
                c.issues += row.issues
                continue
            }
            let link = HSLink(
                hs: code, description: description,
                regimes: regimes, itemIDs: row.list("items"),
                coverage: HSLink.Coverage(rawValue: coverage) ?? .possible,
                note: row.optional("note"), source: row.required("source"))
            if row.issues.isEmpty {
                c.pendingLinks.append(
                    (link, ReferenceIssue(file: table.file, line: row.line, field: "items", message: "")))
            }
            c.issues += row.issues
        }
    }

    static func tradeTerms(_ c: inout BuildContext, _ table: CSVTable) {
        for record in table.records {
            var row = RowReader(table: table, record: record)
            let term = TradeTerm(
                term: row.required("term"), language: row.oneOf("lang", ["ar", "en", "es", "fr", "ru", "zh"]),
                itemIDs: row.list("items"), note: row.optional("note"), source: row.required("source"))
            if term.itemIDs.isEmpty { row.issue("items", "is required but empty") }
            if row.issues.isEmpty {
                c.pendingTerms.append(
                    (term, ReferenceIssue(file: table.file, line: row.line, field: "items", message: "")))
            }
            c.issues += row.issues
        }
    }

    /// Cross-file checks once every file is read: HS links must name items that exist, CWC family members their
    /// family, blends their components.
    mutating func finish() {
        let ids = Set(items.map(\.id))
        for (link, at) in pendingLinks {
            var link = link
            let unknown = link.itemIDs.filter { !ids.contains($0) }
            for id in unknown {
                issues.append(
                    ReferenceIssue(file: at.file, line: at.line, field: "items", message: "unknown item id \(id)"))
            }
            link.itemIDs.removeAll { !ids.contains($0) }
            hsLinks.append(link)
        }
        for (term, at) in pendingTerms {
            for id in term.itemIDs where !ids.contains(id) {
                issues.append(
                    ReferenceIssue(file: at.file, line: at.line, field: "items", message: "unknown item id \(id)"))
            }
            var term = term
            term.itemIDs.removeAll { !ids.contains($0) }
            tradeTerms.append(term)
        }
        for item in items where item.regime == .cwc {
            for family in item.related where !ids.contains(family) {
                let at = locations[item.id]!
                issues.append(
                    ReferenceIssue(
                        file: at.file, line: at.line, field: "family", message: "unknown family id \(family)"))
            }
        }
    }
}
