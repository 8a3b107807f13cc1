import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import Screening

/// The screening engine on real-world declaration lines, one regime and one rule at a time, against the bundled
/// reference lists.
@Suite("Screening engine")
struct ScreeningEngineTests {
    static let engine = ScreeningEngine(reference: Fixtures.bundled.set)

    /// Screens one line built from the fields given (line id `L1`, physical line 2).
    static func screen(
        _ description: String? = nil, hs: String? = nil, cas: String? = nil, species: String? = nil,
        direction: String? = nil, origin: String? = nil, destination: String? = nil, date: String? = nil,
        permits: String? = nil
    ) -> ScreeningResult {
        var fields: [DeclarationField: String] = [.lineID: "L1"]
        fields[.description] = description
        fields[.hsCode] = hs
        fields[.casNumber] = cas
        fields[.species] = species
        fields[.direction] = direction
        fields[.origin] = origin
        fields[.destination] = destination
        fields[.date] = date
        fields[.permitRefs] = permits
        return engine.screen(DeclarationRecord(lineNumber: 2, fields: fields))
    }

    // MARK: Identifiers

    @Test("A valid CAS number in cas_number is a certain finding resting on that field")
    func casNumberField() throws {
        let result = Self.screen(cas: "75-45-6")
        let finding = try #require(result.finding("montreal:hcfc-22"))
        #expect(finding.regime == .montreal)
        #expect(finding.certainty == .certain)
        #expect(finding.basis == .casNumber)
        #expect(finding.match == .casNumber)
        #expect(finding.evidence == "75-45-6")
        #expect(finding.item == "HCFC-22")
        #expect(finding.listing.hasPrefix("Annex C, Group I"))
        #expect(result.findings.count == 1)
        #expect(result.flags.map(\.code) == [.missingPermit])
        #expect(result.lane == .red)
    }

    @Test("A CAS number with a wrong check digit is flagged, in cas_number or in the description, and matches nothing")
    func invalidCAS() throws {
        let field = Self.screen(cas: "75-45-7")
        #expect(field.findings.isEmpty)
        let flag = try #require(field.flags.first { $0.code == .invalidCAS })
        #expect(flag.message.contains("75-45-7"))
        #expect(flag.message.contains("check digit"))
        #expect(field.lane == .yellow)
        #expect(field.riskScore == 15)

        let text = Self.screen("solvent CAS 75-45-7")
        #expect(text.findings.isEmpty)
        #expect(text.flags.map(\.code) == [.invalidCAS])
        #expect(text.flags[0].message == "description mentions CAS 75-45-7, whose check digit is wrong")
    }

    @Test("A CAS number written inside the description is found with its text as evidence")
    func casInDescription() throws {
        let result = Self.screen("Chemical 75-45-6, 20 kg drums")
        let finding = try #require(result.finding("montreal:hcfc-22"))
        #expect(finding.certainty == .certain)
        #expect(finding.basis == .description)
        #expect(finding.match == .casNumber)
        #expect(finding.evidence == "75-45-6")
    }

    @Test(
        "ASHRAE designations are read in the spellings traders use",
        arguments: ["R-22", "R22", "r22", "HCFC 22", "HCFC-22", "hcfc-22"])
    func ashraeSpellings(spelling: String) throws {
        let result = Self.screen("\(spelling) in returnable cylinders")
        let finding = try #require(result.finding("montreal:hcfc-22"))
        #expect(finding.certainty == .certain)
        #expect(finding.match == .ashraeDesignation)
        #expect(finding.evidence == spelling)
        #expect(result.acted.map(\.itemID) == ["montreal:hcfc-22"])
    }

    @Test("A blend is resolved to its controlled components, each explained", arguments: ["R-410A", "R 410A", "r410a"])
    func blendR410A(spelling: String) throws {
        let result = Self.screen("\(spelling) refrigerant")
        let blend = try #require(result.finding("montreal:r-410a"))
        #expect(blend.certainty == .certain)
        #expect(blend.explanation == nil)
        for component in ["montreal:hfc-32", "montreal:hfc-125"] {
            let finding = try #require(result.finding(component))
            #expect(finding.explanation == "component of R-410A (50 % by mass)")
            #expect(finding.evidence == spelling)
        }
    }

    @Test("R-502 brings HCFC-22 and CFC-115, R-404A its three HFCs, with the blend named in the explanation")
    func blendComponents() throws {
        let r502 = Self.screen("R-502 refrigerant")
        #expect(
            Set(r502.acted.map(\.itemID)) == ["montreal:r-502", "montreal:hcfc-22", "montreal:cfc-115"])
        #expect(r502.finding("montreal:hcfc-22")?.explanation == "component of R-502 (48.8 % by mass)")
        #expect(r502.finding("montreal:cfc-115")?.explanation == "component of R-502 (51.2 % by mass)")

        let r404a = Self.screen("R-404A refrigerant cylinders")
        #expect(
            Set(r404a.acted.map(\.itemID)) == [
                "montreal:r-404a", "montreal:hfc-125", "montreal:hfc-143a", "montreal:hfc-134a",
            ])
        for component in ["montreal:hfc-125", "montreal:hfc-143a", "montreal:hfc-134a"] {
            #expect(r404a.finding(component)?.explanation?.contains("R-404A") == true)
        }
    }

    @Test("A designation without its letter is read as the one blend that extends it, as likely")
    func ashraeExtension() throws {
        let finding = try #require(Self.screen("R-509 refrigerant").finding("montreal:r-509a"))
        #expect(finding.certainty == .likely)
        #expect(finding.explanation == "read as R-509A, the only designation that extends it")
    }

    @Test(
        "LMO unique identifiers are found with the letter Ø or the digit 0", arguments: ["MON-ØØ81Ø-6", "MON-00810-6"])
    func lmoIdentifier(identifier: String) throws {
        let result = Self.screen("maize grain \(identifier)")
        let finding = try #require(result.finding("cartagena:mon-00810-6"))
        #expect(finding.regime == .cartagena)
        #expect(finding.certainty == .certain)
        #expect(finding.match == .lmoIdentifier)
        #expect(finding.evidence == identifier)
    }

    @Test("A Basel code counts where the line speaks of waste, not otherwise")
    func baselCode() throws {
        let waste = Self.screen("waste batteries, Basel A1160")
        let finding = try #require(waste.finding("basel:a1160"))
        #expect(finding.certainty == .certain)
        #expect(finding.match == .baselCode)
        #expect(finding.evidence == "A1160")

        #expect(Self.screen("A1160 batteries").findings.isEmpty)
    }

    // MARK: Names

    @Test("Preferred names are certain, whatever the case or the punctuation between words")
    func preferredNames() throws {
        for text in ["Python regius skins", "PYTHON REGIUS, live", "Python-regius skins", "Python  regius"] {
            let finding = try #require(Self.screen(text).finding("cites:python-regius"), "\(text)")
            #expect(finding.certainty == .certain)
            #expect(finding.match == .name)
        }
        #expect(Self.screen("Swietenia macrophylla sawn timber").finding("cites:swietenia-macrophylla") != nil)
    }

    @Test("Systematic names (synonyms) of chemicals are certain")
    func synonyms() throws {
        for (text, id) in [
            ("Chlorodifluoromethane", "montreal:hcfc-22"), ("CHLORODIFLUOROMETHANE", "montreal:hcfc-22"),
            ("Dichlorodifluoromethane", "montreal:cfc-12"),
        ] {
            let finding = try #require(Self.screen(text).finding(id), "\(text)")
            #expect(finding.certainty == .certain)
            #expect(finding.match == .synonym)
        }
    }

    @Test("Trade names are likely findings", arguments: ["Freon 12", "freon 12 cans"])
    func tradeNames(text: String) throws {
        let finding = try #require(Self.screen(text).finding("montreal:cfc-12"))
        #expect(finding.certainty == .likely)
        #expect(finding.match == .tradeName)
    }

    @Test(
        "Common names in English, French and Spanish, with or without accents",
        arguments: [
            ("Ball python live", "cites:python-regius"), ("python royal vivant", "cites:python-regius"),
            ("pitón real vivo", "cites:python-regius"), ("ÉLÉPHANT D'ASIE peaux", "cites:elephas-maximus"),
            ("elephant d asie peaux", "cites:elephas-maximus"), ("elefante asiático piel", "cites:elephas-maximus"),
        ])
    func commonNames(text: String, id: String) throws {
        let finding = try #require(Self.screen(text).finding(id))
        #expect(finding.certainty == .likely)
        #expect(finding.match == .commonName)
    }

    @Test("Names match whole words only")
    func wordBoundaries() {
        #expect(Self.screen("Asian elephantine style lamp").findings.isEmpty)
        #expect(Self.screen("Asian elephant skins").finding("cites:elephas-maximus") != nil)
    }

    // MARK: Scientific names

    @Test(
        "Misspelt binomials are read as the listed species, with the edit count",
        arguments: [
            ("Pyton regius live", "Pyton regius"), ("Python reguis live", "Python reguis"),
            ("Pythonregius skins", "Pythonregius"), ("Pytho nregius", "Pytho nregius"),
        ])
    func typos(text: String, evidence: String) throws {
        let finding = try #require(Self.screen(text).finding("cites:python-regius"))
        #expect(finding.certainty == .likely)
        #expect(finding.match == .typo)
        #expect(finding.evidence == evidence)
        #expect(finding.explanation == "\"\(evidence)\" read as Python regius (1 edit)")
    }

    @Test("A misspelt binomial in the species field rests on that field")
    func typoInSpeciesField() throws {
        let finding = try #require(Self.screen(species: "Python reguis").finding("cites:python-regius"))
        #expect(finding.basis == .species)
        #expect(finding.match == .typo)
    }

    @Test("Typos are bounded: a long epithet may have two edits, a short one none, and the first letter must agree")
    func typoBounds() {
        let two = Self.screen("Malayopython retikulatos")
        #expect(two.finding("cites:malayopython-reticulatus")?.explanation?.hasSuffix("(2 edits)") == true)
        #expect(Self.screen("Python rejiux").finding("cites:python-regius") == nil)
        #expect(Self.screen("Python zegius").finding("cites:python-regius") == nil)
        #expect(Self.screen("Fython regius").finding("cites:python-regius") == nil)
    }

    @Test(
        "A species the lists do not name, of a listed genus, family or order, is a higher-taxon finding",
        arguments: [
            ("Morelia carinata live", "cites:pythonidae", "family Pythonidae"),
            ("Huso hsuo", "cites:acipenseriformes", "order Acipenseriformes"),
            ("Amazona imaginaria live", "cites:psittaciformes", "order Psittaciformes"),
        ])
    func higherTaxon(text: String, id: String, rank: String) throws {
        let result = Self.screen(text)
        let finding = try #require(result.finding(id))
        #expect(finding.certainty == .likely)
        #expect(finding.match == .higherTaxon)
        #expect(finding.explanation?.contains("is not listed by name; its \(rank) is listed") == true)
        let species = Self.screen(species: "Morelia carinata")
        #expect(species.finding("cites:pythonidae")?.basis == .species)
    }

    @Test(
        "Trade terms and common names of higher taxa with a specimen word are likely",
        arguments: [
            ("pangolin scales", "cites:manidae"), ("sturgeon caviar", "cites:acipenseriformes"),
            ("dried seahorses", "cites:hippocampus"), ("live seahorses for aquaria", "cites:hippocampus"),
            ("crocodile leather handbags", "cites:crocodylia"), ("manta rays gill plates", "cites:mobula"),
        ])
    func higherTaxaTradeTerms(text: String, id: String) throws {
        let finding = try #require(Self.screen(text).finding(id))
        #expect(finding.certainty == .likely)
    }

    @Test("Rosewood with a specimen word is at least a possible Dalbergia finding")
    func rosewood() throws {
        let logs = Self.screen("rosewood logs", hs: "4403.49")
        #expect(logs.finding("cites:dalbergia") != nil)
        #expect(logs.lane != .green)
        #expect(logs.finding("cites:dalbergia")?.certainty ?? .possible >= .likely)
    }

    // MARK: Ordinary goods

    @Test(
        "Ordinary goods that share a word with a listed name go through green",
        arguments: [
            "ivory coloured paper", "Python programming books", "crocodile clips", "Tiger Balm", "Tiger Balm ointment",
            "rosewood-effect flooring", "mahogany-effect vinyl flooring", "new lead-acid batteries",
            "lead-acid batteries",
            "X-ray apparatus", "caviar substitutes", "R-600a refrigerant", "R-290 refrigerant", "R-744 carbon dioxide",
            "R-717 ammonia", "HFO-1234yf refrigerant", "cotton t-shirts", "Ivory Coast cocoa beans",
            "faux crocodile leather belt", "imitation ivory bangles", "CFC-free aerosol spray", "non-CFC propellant",
            "pesticide formulation excluding DDT", "insulation not containing asbestos", "R-1234 refrigerant",
        ])
    func ordinaryGoods(text: String) {
        let result = Self.screen(text)
        #expect(result.acted.isEmpty, "\(result.acted.map(\.itemID))")
        #expect(result.lane == .green)
        #expect(result.riskScore == 0)
    }

    @Test("A lone common name, and a crop's species name without an event, are not findings")
    func loneWords() {
        #expect(Self.screen("tiger").findings.isEmpty)
        #expect(Self.screen("tiger skins").finding("cites:panthera-tigris")?.certainty == .likely)
        #expect(Self.screen("Zea mays grain").findings.isEmpty)
        #expect(Self.screen("YieldGard maize seed").finding("cartagena:mon-00810-6")?.match == .tradeName)
    }

    @Test(
        "The same listed word in a wildlife context is found",
        arguments: [
            ("ivory carvings", "cites:elephas-maximus"), ("Python regius skins", "cites:python-regius"),
            ("crocodile skins", "cites:crocodylia"), ("tiger skins", "cites:panthera-tigris"),
            ("sturgeon caviar", "cites:acipenseriformes"),
        ])
    func sameWordInWildlifeContext(text: String, id: String) {
        #expect(Self.screen(text).finding(id).map { $0.certainty >= .likely } == true)
    }

    @Test("Aloe vera is excluded from the Aloe listing")
    func aloeVera() {
        let result = Self.screen("Aloe vera gel", hs: "3304.99")
        #expect(result.acted.isEmpty)
        #expect(result.finding("cites:aloe") == nil)
        #expect(result.flags.contains { $0.code == .excluded && $0.message.contains("Aloe vera") })
        #expect(Self.screen("Aloe ferox extract").finding("cites:aloe-ferox")?.certainty == .certain)
        #expect(result.findings.isEmpty)
        #expect(result.lane == .green)
    }

    @Test("Quantities after the word refrigerant are not refrigerant numbers")
    func quantitiesAreNotDesignations() {
        let kg = Self.screen("HFC-134a refrigerant 13.6 kg cylinders")
        let count = Self.screen("R-134a refrigerant, 12 cylinders")
        #expect(kg.finding("montreal:hfc-134a")?.certainty == .certain)
        #expect(count.finding("montreal:hfc-134a")?.certainty == .certain)
        #expect(kg.finding("montreal:cfc-13") == nil)
        #expect(count.finding("montreal:cfc-12") == nil)
    }

    @Test("An acronym needs a capital and chemical words around it")
    func acronyms() {
        #expect(Self.screen("pesticide formulation DDT").finding("rotterdam:ddt")?.certainty == .likely)
        #expect(Self.screen("pesticide formulation ddt").findings.isEmpty)
        #expect(Self.screen("DDT").findings.isEmpty)
    }

    @Test("DDT is found as the Stockholm Annex B chemical too, and its import is flagged")
    func stockholmDDT() {
        let result = Self.screen("DDT technical grade", direction: "import")
        #expect(result.finding("rotterdam:ddt") != nil)
        #expect(result.finding("stockholm:ddt") != nil)
        #expect(result.flags.contains { $0.code == .popsImport })
    }

    @Test("Chemical weapons and their precursors are found by name")
    func cwcNames() throws {
        for (text, id) in [
            ("Phosgene cylinders", "cwc:phosgene"), ("Chloropicrin", "cwc:chloropicrin"),
            ("Hydrogen cyanide", "cwc:hydrogen-cyanide"), ("Sulfur mustard", "cwc:sulfur-mustard"),
            ("isopropyl methylphosphonofluoridate", "cwc:sarin"), ("thiodiglycol drums", "cwc:thiodiglycol"),
        ] {
            let finding = try #require(Self.screen(text).finding(id), "\(text)")
            #expect(finding.regime == .cwc)
            #expect(finding.certainty == .certain)
        }
    }

    @Test(
        "Schedule 1 agents are found by their common names",
        arguments: [
            ("Sarin", "cwc:sarin"), ("Soman", "cwc:soman"), ("Tabun", "cwc:tabun"),
            ("VX nerve agent, technical grade", "cwc:vx"),
        ])
    func cwcAgentNames(text: String, id: String) {
        #expect(Self.screen(text).finding(id) != nil)
    }

    @Test("An HS code alone: a subheading that names an item is likely, a broad one possible with no requirements")
    func hsCodeAlone() throws {
        let names = try #require(Self.screen(hs: "2903.71").finding("montreal:hcfc-22"))
        #expect(names.certainty == .likely)
        #expect(names.basis == .hsCode)
        #expect(names.match == .hsCode)
        #expect(names.explanation == "HS 2903.71: Chlorodifluoromethane (HCFC-22)")

        let covers = Self.screen(hs: "0106.20")
        #expect(covers.findings.count == 1)
        let heading = try #require(covers.finding("hs:010620"))
        #expect(heading.certainty == .possible)
        #expect(heading.match == .hsHeading)
        #expect(heading.listing == "HS 2022 0106.20 (covers listed goods)")
        #expect(heading.requirements.isEmpty)
        #expect((covers.lane, covers.riskScore) == (.yellow, 15))
        // Once the text names a reptile, the broad heading is not repeated.
        #expect(Self.screen("Python regius", hs: "0106.20").finding("hs:010620") == nil)
    }

    @Test("An HS code outside the wildlife chapters weakens a CITES name")
    func otherGoodsChapter() {
        #expect(Self.screen("Dalbergia logs").finding("cites:dalbergia")?.certainty == .likely)
        #expect(Self.screen("Dalbergia logs", hs: "6109.10").finding("cites:dalbergia")?.certainty == .possible)
        #expect(Self.screen("Ball python", hs: "6109.10").finding("cites:python-regius")?.certainty == .possible)
    }

    @Test("An excluded taxon named on the line clears the listing that excludes it, with a flag")
    func exclusionFlag() {
        let result = Self.screen("Psittaciformes Melopsittacus undulatus live")
        #expect(result.finding("cites:psittaciformes") == nil)
        #expect(
            result.flags.map(\.message) == ["Melopsittacus undulatus is excluded from the listing of Psittaciformes"])
        #expect(result.lane == .green)
    }

    // MARK: Regime cues

    @Test("Lead-acid batteries are Basel waste only when the line says used, spent or waste")
    func baselCues() throws {
        for text in ["used lead-acid batteries", "spent lead-acid batteries for recycling"] {
            let finding = try #require(Self.screen(text).finding("basel:a1160"), "\(text)")
            #expect(finding.certainty == .likely)
        }
        for text in ["lead-acid batteries", "new lead-acid batteries"] {
            #expect(!Self.screen(text).findings.contains { $0.regime == .basel }, "\(text)")
        }
        // A waste heading names A1160 by itself, whatever the words; "new" under the battery heading gives nothing.
        #expect(Self.screen("batteries", hs: "8549.11").finding("basel:a1160")?.basis == .hsCode)
        #expect(Self.screen("new lead-acid batteries", hs: "8507.10").findings.isEmpty)
        let waste = Self.screen("waste lead-acid batteries for recycling")
        #expect(waste.finding("basel:a1160").map { $0.certainty >= .likely } == true)
    }

    // MARK: Rules and flags

    @Test("An Appendix I species is flagged; an Appendix II species is not")
    func appendixI() throws {
        let tiger = Self.screen("Panthera tigris skin", permits: "CITES 24IN0001")
        let flag = try #require(tiger.flags.first { $0.code == .citesAppendixI })
        #expect(flag.message.hasPrefix("Panthera tigris is in CITES Appendix I"))
        #expect(tiger.riskScore == 80)
        #expect(!Self.screen("Python regius skins").flags.contains { $0.code == .citesAppendixI })
        #expect(Self.screen("pangolin scales").flags.contains { $0.code == .citesAppendixI })
    }

    @Test("Trade with a State not party to CITES on the declaration date is flagged")
    func citesNonParty() throws {
        let southSudan = Self.screen(
            "Python regius live", direction: "export", origin: "GH", destination: "SS", date: "2024-01-01")
        let flag = try #require(southSudan.flags.first { $0.code == .nonParty })
        #expect(flag.message.hasPrefix("South Sudan (SS) was not party to CITES on 2024-01-01"))
        #expect(southSudan.riskScore == 100)

        // Palestine joined CITES on 2015-03-29.
        let before = Self.screen(
            "Python regius live", direction: "export", origin: "GH", destination: "PS", date: "2014-06-01")
        let after = Self.screen(
            "Python regius live", direction: "export", origin: "GH", destination: "PS", date: "2016-06-01")
        #expect(before.flags.contains { $0.code == .nonParty })
        #expect(!after.flags.contains { $0.code == .nonParty })
    }

    @Test("Hazardous waste to or from a State not party to Basel is flagged")
    func baselNonParty() throws {
        let result = Self.screen(
            "used lead-acid batteries", direction: "export", origin: "US", destination: "MX", date: "2024-01-01")
        let flag = try #require(result.flags.first { $0.code == .nonParty })
        #expect(flag.message.contains("United States of America (US) was not party to the Basel Convention"))
    }

    @Test("The Basel Ban: hazardous waste from Germany to Nigeria after 2019-12-05, not before, not within Annex VII")
    func baselBan() throws {
        func batteries(_ destination: String, _ date: String) -> ScreeningResult {
            Self.screen(
                "used lead-acid batteries", direction: "export", origin: "DE", destination: destination, date: date)
        }
        let banned = batteries("NG", "2024-01-01")
        let flag = try #require(banned.flags.first { $0.code == .baselBan })
        #expect(flag.message.contains("from Germany (Annex VII, bound by the Ban Amendment) to NG"))
        #expect(banned.lane == .red)
        #expect(!batteries("NG", "2018-01-01").flags.contains { $0.code == .baselBan })
        #expect(!batteries("FR", "2024-01-01").flags.contains { $0.code == .baselBan })
    }

    @Test("Importing an Annex A POP is flagged unless the line says it is for disposal; exporting it is not")
    func popsImport() throws {
        let imported = Self.screen("Aldrin technical grade", direction: "import", origin: "CN", destination: "NG")
        #expect(imported.finding("stockholm:aldrin")?.certainty == .certain)
        let flag = try #require(imported.flags.first { $0.code == .popsImport })
        #expect(flag.message.hasPrefix("Aldrin (Stockholm Annex A) may be imported only for environmentally sound"))
        let disposal = Self.screen("Aldrin technical grade for environmentally sound disposal", direction: "import")
        #expect(!disposal.flags.contains { $0.code == .popsImport })
        #expect(!Self.screen("Lindane for destruction", direction: "import").flags.contains { $0.code == .popsImport })
        #expect(!Self.screen("Aldrin technical grade", direction: "export").flags.contains { $0.code == .popsImport })
    }

    @Test("Exporting a POP to a State not party to Stockholm is flagged")
    func stockholmNonParty() {
        let result = Self.screen(
            "Aldrin technical grade", direction: "export", origin: "DE", destination: "IL", date: "2024-01-01")
        #expect(
            result.flags.contains {
                $0.code == .nonParty && $0.message.contains("Israel (IL) was not party to the Stockholm Convention")
            })
    }

    @Test("A Schedule 2 chemical to or from a State not party to the CWC is flagged")
    func cwcNonStateParty() throws {
        let egypt = Self.screen(
            "Methylphosphonic acid drums", direction: "export", origin: "DE", destination: "EG", date: "2024-01-01")
        let flag = try #require(egypt.flags.first { $0.code == .cwcNonStateParty })
        #expect(flag.message.hasPrefix("Egypt (EG) was not a State Party to the CWC on 2024-01-01: Schedule 2"))
        #expect(egypt.lane == .red)
        let israel = Self.screen(
            "Dimethyl methylphosphonate", cas: "756-79-6", direction: "export", origin: "DE", destination: "IL")
        #expect(israel.flags.contains { $0.code == .cwcNonStateParty })
        let france = Self.screen(
            "Methylphosphonic acid drums", direction: "export", origin: "DE", destination: "FR", date: "2024-01-01")
        #expect(france.flags.isEmpty)
    }

    @Test("HFC trade with a State that had not ratified Kigali is flagged; from 2033 it is non-party trade")
    func kigali() throws {
        func hfc(_ destination: String, _ date: String) -> ScreeningResult {
            Self.screen(
                "HFC-134a refrigerant", direction: "export", origin: "DE", destination: destination, date: date)
        }
        // The United States ratified Kigali with effect from 2023-01-29.
        let early = hfc("US", "2020-01-01")
        let flag = try #require(early.flags.first { $0.code == .kigaliNonParty })
        #expect(flag.message.hasPrefix("United States of America (US) had not ratified the Kigali Amendment"))
        #expect(!hfc("US", "2024-01-01").flags.contains { $0.code == .kigaliNonParty })
        let late = hfc("IR", "2034-01-01")
        #expect(!late.flags.contains { $0.code == .kigaliNonParty })
        #expect(late.flags.contains { $0.code == .nonParty && $0.message.contains("banned from 2033") })
    }

    @Test("An HS code of another substance than the one named is a mismatch; the right one corroborates")
    func hsMismatch() throws {
        let wrong = Self.screen("R-22 refrigerant", hs: "2903.45")
        let flag = try #require(wrong.flags.first { $0.code == .hsMismatch })
        #expect(flag.message.hasPrefix("HS 2903.45 is not a code for HCFC-22 (expected 2903.71)"))
        #expect(Self.screen("R-22", hs: "3824.78").flags.contains { $0.code == .hsMismatch })

        let right = Self.screen("R-22 refrigerant", hs: "2903.71")
        #expect(!right.flags.contains { $0.code == .hsMismatch })
        #expect(right.finding("montreal:hcfc-22")?.corroboratedBy == [.hsCode])
    }

    @Test("A CAS number of another substance than the one named is a mismatch; the right one corroborates")
    func casMismatch() throws {
        let wrong = Self.screen("HCFC-22 refrigerant", cas: "811-97-2")
        let flag = try #require(wrong.flags.first { $0.code == .casMismatch })
        #expect(flag.message == "CAS 811-97-2 (that is HFC-134a) is not the CAS number of HCFC-22 (75-45-6)")
        #expect(Self.screen("HCFC-22", cas: "75-71-8").flags.contains { $0.code == .casMismatch })

        let right = Self.screen("HCFC-22 refrigerant", hs: "2903.71", cas: "75-45-6")
        #expect(!right.flags.contains { $0.code == .casMismatch })
        let finding = try #require(right.finding("montreal:hcfc-22"))
        #expect(finding.basis == .casNumber)
        #expect(Set(finding.corroboratedBy) == [.description, .hsCode])
    }

    @Test("A line that needs a licence or permit and carries no permit reference is flagged")
    func missingPermit() throws {
        let without = Self.screen("R-22 refrigerant", direction: "import")
        let flag = try #require(without.flags.first { $0.code == .missingPermit })
        #expect(
            flag.message
                == "the line carries no permit reference, but needs: Import licence from the national licensing system")
        let with = Self.screen("R-22 refrigerant", direction: "import", permits: "LIC-2024-001")
        #expect(with.flags.isEmpty)
        // A CITES Appendix II import needs the exporter's permit presented, not a permit of its own.
        #expect(Self.screen("Python regius live", direction: "import").flags.isEmpty)
    }

    @Test("Unknown countries and unreadable dates are reported without adding to the score")
    func unknownCountryAndDate() throws {
        let country = Self.screen("Panthera tigris skin", origin: "XX", permits: "P1")
        #expect(country.flags.contains { $0.code == .unknownCountry && $0.message.contains("\"XX\"") })
        let date = Self.screen("Panthera tigris skin", date: "2024-13-45", permits: "P1")
        #expect(date.flags.contains { $0.code == .invalidDate })
        #expect(country.riskScore == Self.screen("Panthera tigris skin", permits: "P1").riskScore)
        #expect(date.riskScore == country.riskScore)
    }

    // MARK: Lanes and score

    @Test("Score and lane: nothing 0 green, possible 15 yellow, likely 50, certain 60, each flag adds, red from 70")
    func lanesAndScores() {
        let nothing = Self.screen("cotton t-shirts", hs: "6109.10")
        #expect(nothing.findings.isEmpty && nothing.flags.isEmpty)
        #expect((nothing.lane, nothing.riskScore) == (.green, 0))
        let possible = Self.screen("caviar")
        #expect(possible.findings.map(\.certainty) == [.possible])
        #expect((possible.lane, possible.riskScore) == (.yellow, 15))
        let certain = Self.screen("R-22 refrigerant", direction: "import", permits: "LIC-1")
        #expect((certain.lane, certain.riskScore) == (.yellow, 60))
        let certainMissing = Self.screen("R-22 refrigerant", direction: "import")
        #expect((certainMissing.lane, certainMissing.riskScore) == (.red, 75))
        let likelyMissing = Self.screen("Ball python live", direction: "export")
        #expect((likelyMissing.lane, likelyMissing.riskScore) == (.yellow, 65))
        // Two regimes: Rotterdam and Stockholm both list lindane.
        let twoRegimes = Self.screen("Lindane", direction: "import", permits: "X")
        #expect(Set(twoRegimes.acted.map(\.regime)) == [.rotterdam, .stockholm])
        #expect(twoRegimes.riskScore == 60 + 5 + 15)
        // Capped at 100.
        let capped = Self.screen(
            "Python regius live", direction: "export", origin: "GH", destination: "SS", date: "2024-01-01")
        #expect((capped.lane, capped.riskScore) == (.red, 100))
    }

    @Test("The lane always follows the score")
    func laneFollowsScore() {
        for text in Self.sampleLines {
            let r = Self.screen(text)
            #expect((0...100).contains(r.riskScore))
            #expect(r.lane == (r.riskScore >= 70 ? .red : r.riskScore >= 15 ? .yellow : .green), "\(text)")
        }
    }

    static let sampleLines = [
        "R-22 refrigerant 13.6 kg cylinders", "Python regius skins", "cotton t-shirts", "used lead-acid batteries",
        "Aldrin technical grade", "pangolin scales", "Freon", "ivory carvings", "Methylphosphonic acid drums",
        "maize grain MON-00810-6", "shark fin dried", "R-404A", "Aloe vera gel", "rosewood logs",
    ]

    @Test("The same line gives the same result every time, with fresh or reused scratch buffers")
    func determinism() {
        var scratch = ScreeningEngine.Scratch()
        for text in Self.sampleLines {
            let record = DeclarationRecord(
                lineNumber: 9, fields: [.lineID: "D-1", .description: text, .hsCode: "2903.71", .direction: "import"])
            let first = Self.engine.screen(record)
            let second = Self.engine.screen(record)
            let reused = Self.engine.screen(record, scratch: &scratch)
            #expect(first == second, "\(text)")
            #expect(first == reused, "\(text)")
            #expect(first.lineID == "D-1")
            #expect(first.lineNumber == 9)
            #expect(first.referenceVersion == Fixtures.bundled.set.version)
        }
    }

    @Test("A line whose evidence fields were seen before gets the same result as a line screened afresh")
    func rememberedEvidence() {
        // Repeated evidence with different line ids, padding, directions, dates, countries and permits, so that
        // remembered candidates must be moved to where each line's fields lie.
        let evidence: [[DeclarationField: String]] = [
            [.description: "R-502 refrigerant in cylinders", .hsCode: "3827.90"],
            [.description: "Aloe vera gel"],
            [.description: "Pyton regius live", .species: "Pythonregius"],
            [.description: "cotton t-shirts", .hsCode: "6109.10"],
            [.description: "used lead-acid batteries A1160", .hsCode: "8549.11"],
            [.description: "TEA tea", .casNumber: "75-45-5"],
            [.description: "ivory carvings", .species: "Loxodonta africana"],
            [.casNumber: "75-45-6", .description: "chlorodifluoromethane, CAS 75-45-6", .hsCode: "2903.71"],
            [.description: "Aldrin technical grade", .hsCode: "2903.82"],
            [.species: "Panthera tigris", .description: "skins"],
        ]
        let directions = ["import", "export", "", "re-export", "transit"]
        var remembering = ScreeningEngine.Scratch()
        for round in 0..<5 {
            for (n, fields) in evidence.enumerated() {
                var line = fields
                line[.lineID] = String(repeating: "L", count: round * 7 + 1) + "\(n)"
                line[.direction] = directions[(round + n) % directions.count]
                line[.origin] = ["DE", "NG", "US", "CN", "IN"][round]
                line[.destination] = ["KE", "FR", "BR", "AE", "TR"][(round + n) % 5]
                line[.date] = "20\(20 + round)-0\(round + 1)-15"
                if round % 2 == 1 { line[.permitRefs] = "P-\(round)" }
                if round >= 3, let d = line[.description] { line[.description] = "  " + d }
                let record = DeclarationRecord(lineNumber: round * 100 + n, fields: line)
                let afresh = Self.engine.screen(record)
                let remembered = Self.engine.screen(record, scratch: &remembering)
                #expect(remembered == afresh, "round \(round): \(fields)")
            }
        }
    }

    @Test("A separately built engine gives the same results")
    func secondEngine() {
        let other = ScreeningEngine(reference: Fixtures.bundled.set)
        for text in Self.sampleLines {
            let record = DeclarationRecord(lineNumber: 2, fields: [.lineID: "1", .description: text])
            #expect(other.screen(record) == Self.engine.screen(record), "\(text)")
        }
    }

    // MARK: Requirements

    @Test(
        "Requirements are those of the line's direction (all directions when it has none)",
        arguments: [
            ("export", ["CITES export permit"]),
            ("import", ["Prior presentation of the export permit or re-export certificate"]),
            ("transit", ["Valid CITES permit or certificate accompanying the shipment"]),
            ("re-export", ["CITES re-export certificate"]),
        ])
    func requirementsByDirection(direction: String, expected: [String]) throws {
        let finding = try #require(
            Self.screen("Python regius live", direction: direction).finding("cites:python-regius"))
        #expect(finding.requirements == expected)
    }

    @Test("Without a direction every direction's requirements are listed")
    func requirementsWithoutDirection() throws {
        let finding = try #require(Self.screen("Python regius live").finding("cites:python-regius"))
        #expect(
            Set(finding.requirements) == [
                "CITES export permit", "CITES re-export certificate",
                "Prior presentation of the export permit or re-export certificate",
                "Valid CITES permit or certificate accompanying the shipment",
            ])
        let montreal = try #require(Self.screen("R-22", direction: "EXPORT").finding("montreal:hcfc-22"))
        #expect(montreal.requirements.contains("Export licence from the national licensing system"))
        #expect(!montreal.requirements.contains("Import licence from the national licensing system"))
    }
}

extension ScreeningResult {
    func finding(_ id: String) -> Finding? { findings.first { $0.itemID == id } }
    /// Findings an officer must act on.
    var acted: [Finding] { findings.filter { $0.certainty >= .likely } }
}
