import GreenCustomsCore
import GreenCustomsTestSupport
import ReferenceData
import Testing

@testable import Screening

@Suite("Look-up")
struct LookupTests {
    static let index = LookupIndex(reference: Fixtures.bundled.set)

    func top(_ query: String) -> LookupResult? { Self.index.lookup(query).results.first }
    func ids(_ query: String, _ n: Int = 3) -> [String] {
        Self.index.lookup(query, limit: n).results.compactMap(\.item?.id)
    }

    @Test(
        "Montreal Protocol: ASHRAE codes in every spelling, trade names, CAS and HS",
        arguments: [
            ("R-22", "montreal:hcfc-22"), ("R22", "montreal:hcfc-22"), ("r 22", "montreal:hcfc-22"),
            ("HCFC-22", "montreal:hcfc-22"),
            ("Freon 22", "montreal:hcfc-22"), ("freon-12", "montreal:cfc-12"), ("Genetron 22", "montreal:hcfc-22"),
            ("75-45-6", "montreal:hcfc-22"), ("2903.71", "montreal:hcfc-22"), ("29037100", "montreal:hcfc-22"),
            ("HFC-134a", "montreal:hfc-134a"), ("811-97-2", "montreal:hfc-134a"), ("R-410A", "montreal:r-410a"),
            ("r410a", "montreal:r-410a"), ("Puron", "montreal:r-410a"), ("R-404A", "montreal:r-404a"),
            ("halon 1301", "montreal:halon-1301"), ("carbon tetrachloride", "montreal:carbon-tetrachloride"),
            ("methyl bromide", "montreal:methyl-bromide"), ("74-83-9", "montreal:methyl-bromide"),
            ("trichlorofluoromethane", "montreal:cfc-11"), ("HFC-23", "montreal:hfc-23"), ("R-32", "montreal:hfc-32"),
        ])
    func montreal(query: String, id: String) {
        #expect(top(query)?.item?.id == id)
        #expect(top(query)?.item?.controlled == true)
    }

    @Test(
        "Look-alikes are found and marked as not controlled",
        arguments: [
            ("R-290", "refrigerant:r-290"), ("R-600a", "refrigerant:r-600a"), ("R-744", "refrigerant:r-744"),
            ("R-717", "refrigerant:r-717"), ("R-1234yf", "refrigerant:r-1234yf"),
            ("HFO-1234yf", "refrigerant:r-1234yf"),
        ])
    func lookAlikes(query: String, id: String) throws {
        let result = try #require(top(query))
        #expect(result.item?.id == id)
        #expect(result.item?.controlled == false)
        #expect(result.requirements.isEmpty)
    }

    @Test(
        "Chemicals under Rotterdam, Stockholm and the CWC, across regimes",
        arguments: [
            ("endosulfan", ["rotterdam:endosulfan", "stockholm:endosulfan"]),
            ("DDT", ["rotterdam:ddt", "stockholm:ddt"]), ("50-29-3", ["rotterdam:ddt", "stockholm:ddt"]),
            ("lindane", ["rotterdam:lindane", "stockholm:lindane"]), ("PFOS", ["rotterdam:pfos", "stockholm:pfos"]),
            ("Dechlorane Plus", ["stockholm:dechlorane-plus"]), ("UV-328", ["stockholm:uv-328"]),
            ("methoxychlor", ["stockholm:methoxychlor"]), ("monocrotophos", ["rotterdam:monocrotophos"]),
            ("sarin", ["cwc:sarin"]), ("107-44-8", ["cwc:sarin"]), ("VX", ["cwc:vx"]), ("phosgene", ["cwc:phosgene"]),
            ("thiodiglycol", ["cwc:thiodiglycol"]), ("triethanolamine", ["cwc:triethanolamine"]),
        ])
    func chemicals(query: String, expected: [String]) {
        let found = ids(query, 5)
        for id in expected { #expect(found.contains(id), "\(query): \(found)") }
        #expect(expected.contains(found.first ?? ""), "\(query): \(found)")
    }

    @Test(
        "Basel codes and waste names",
        arguments: [
            ("Y46", "basel:y46"), ("y49", "basel:y49"), ("A1181", "basel:a1181"), ("B3011", "basel:b3011"),
            ("H6.1", "basel:h6-1"), ("e-waste", "basel:a1181"), ("used lead-acid batteries", "basel:a1160"),
            ("plastic waste", "basel:y48"),
        ])
    func basel(query: String, id: String) {
        #expect(ids(query, 2).contains(id), "\(query): \(ids(query))")
    }

    @Test(
        "LMO identifiers with Ø or 0, and event names",
        arguments: [
            ("MON-ØØ81Ø-6", "cartagena:mon-00810-6"), ("MON-00810-6", "cartagena:mon-00810-6"),
            ("mon-00810-6", "cartagena:mon-00810-6"), ("MON810", "cartagena:mon-00810-6"),
            ("Bt11", "cartagena:syn-bt011-1"),
        ])
    func cartagena(query: String, id: String) {
        #expect(top(query)?.item?.id == id)
    }

    @Test("LMOs by the words traders use")
    func lmoDescriptions() {
        let cotton = Self.index.lookup("Bt cotton", limit: 50).results.compactMap(\.item)
        #expect(!cotton.isEmpty)
        #expect(cotton.allSatisfy { $0.regime == .cartagena && $0.category == "cotton" })
        #expect(Self.index.lookup("GM maize").results.first?.item?.category == "maize")
        #expect(Self.index.lookup("herbicide-tolerant soybean").results.first?.item?.category == "soybean")
    }

    @Test(
        "CITES: scientific and common names in English, French and Spanish, accents and case ignored",
        arguments: [
            ("Loxodonta africana", "cites:loxodonta-africana"), ("LOXODONTA AFRICANA", "cites:loxodonta-africana"),
            ("African elephant", "cites:loxodonta-africana"), ("éléphant d'Afrique", "cites:loxodonta-africana"),
            ("elephant d afrique", "cites:loxodonta-africana"), ("elefante africano", "cites:loxodonta-africana"),
            ("Psittacus erithacus", "cites:psittacus-erithacus"), ("African grey parrot", "cites:psittacus-erithacus"),
            ("perroquet gris", "cites:psittacus-erithacus"), ("Dalbergia nigra", "cites:dalbergia-nigra"),
            ("Brazilian rosewood", "cites:dalbergia-nigra"), ("bigleaf mahogany", "cites:swietenia-macrophylla"),
            ("humphead wrasse", "cites:cheilinus-undulatus"), ("queen conch", "cites:aliger-gigas"),
            ("Strombus gigas", "cites:aliger-gigas"), ("vicuña", "cites:vicugna-vicugna"),
            ("vicuna", "cites:vicugna-vicugna"),
            ("axolotl", "cites:ambystoma-mexicanum"), ("seahorses", "cites:hippocampus"),
            ("caballitos de mar", "cites:hippocampus"),
            ("pangolin", "cites:manidae"),
        ])
    func citesNames(query: String, id: String) {
        #expect(top(query)?.item?.id == id, "\(query): \(ids(query))")
    }

    @Test(
        "Names of listed higher taxa and products used in trade",
        arguments: [
            ("pangolin scales", "cites:manidae"), ("sturgeon caviar", "cites:acipenseriformes"),
            ("caviar", "cites:acipenseriformes"),
            ("rhino horn", "cites:rhinocerotidae"), ("rosewood", "cites:dalbergia"), ("cactus", "cites:cactaceae"),
        ])
    func tradeNames(query: String, id: String) {
        #expect(ids(query, 3).contains(id), "\(query): \(ids(query))")
    }

    @Test(
        "Classes of substances and groups of taxa",
        arguments: [
            ("HCFCs", ["HCFC"]), ("hydrochlorofluorocarbons", ["HCFC"]),
            ("CFC", ["CFC", "other fully halogenated CFC"]),
            ("halons", ["halon"]), ("HFC", ["HFC", "HFC-23"]),
        ])
    func classes(query: String, categories: [String]) {
        // Every substance of the class comes first, before names that merely mention the class.
        let members = Fixtures.bundled.set.items.filter {
            $0.kind == .substance && categories.contains($0.category ?? "")
        }
        let results = Self.index.lookup(query, limit: 200).results.compactMap(\.item)
        #expect(members.count >= 3)
        #expect(Set(results.prefix(members.count).map(\.id)) == Set(members.map(\.id)), "\(query)")
    }

    @Test(
        "Everyday words for groups of animals and timbers",
        arguments: [
            ("sharks", "cites:carcharhinidae"), ("rays", "cites:mobula"), ("eels", "cites:anguilla-anguilla"),
            ("mahogany", "cites:swietenia-macrophylla"), ("tortoises", "cites:testudinidae"),
            ("parrots", "cites:psittaciformes"),
        ])
    func groups(query: String, id: String) {
        #expect(ids(query, 10).contains(id), "\(query): \(ids(query, 10))")
        #expect(Self.index.lookup(query).results.first?.item?.regime == .cites)
    }

    @Test("Misspelt scientific names find the species, ahead of the genus listing")
    func typos() throws {
        #expect(top("Dalbergia nigrra")?.item?.id == "cites:dalbergia-nigra")
        #expect(top("Dalbergia nigrra")?.match == .typo)
        #expect(top("Loxodonta afrikana")?.item?.id == "cites:loxodonta-africana")
        #expect(top("Psitacus erithacus")?.item?.id == "cites:psittacus-erithacus")
        #expect(top("coral")?.item?.id != "cites:naemorhedus-goral")  // short words are not fuzzed
    }

    @Test("A species the lists do not name inherits the listing of its genus")
    func inheritance() throws {
        let result = try #require(top("Dalbergia imaginaria"))
        #expect(result.item?.id == "cites:dalbergia")
        #expect(result.match == .higherTaxon)
        #expect(result.explanation?.contains("genus Dalbergia") == true)
        let seahorse = try #require(top("Hippocampus kuda"))
        #expect(seahorse.item?.id == "cites:hippocampus" || seahorse.item?.id == "cites:hippocampus-kuda")
    }

    @Test("A taxon excluded from a higher-taxon listing is reported as not covered")
    func exclusion() throws {
        let result = try #require(top("Melopsittacus undulatus"))
        #expect(result.item?.id == "cites:psittaciformes")
        #expect(result.item?.controlled == false)
        #expect(result.explanation?.contains("excluded") == true)
    }

    @Test("Requirements depend on the appendix")
    func requirements() throws {
        let appendixI = try #require(top("Dalbergia nigra"))
        #expect(appendixI.requirements.contains { $0.kind == .permit && $0.direction == .import })
        let appendixII = try #require(top("Swietenia macrophylla"))
        #expect(!appendixII.requirements.contains { $0.kind == .permit && $0.direction == .import })
        #expect(appendixII.requirements.contains { $0.kind == .permit && $0.direction == .export })
    }

    @Test(
        "Identifiers inside a longer query",
        arguments: [
            ("CAS 75-45-6", "montreal:hcfc-22"), ("CAS No. 75-45-6", "montreal:hcfc-22"),
            ("R-22 refrigerant", "montreal:hcfc-22"),
            ("HS 2903.71", "montreal:hcfc-22"), ("cylinders of R-410A", "montreal:r-410a"),
            ("maize MON-00810-6", "cartagena:mon-00810-6"),
        ])
    func embeddedIdentifiers(query: String, id: String) {
        #expect(top(query)?.item?.id == id, "\(query): \(ids(query))")
    }

    @Test("Invalid CAS numbers and unknown codes say so")
    func notes() {
        let response = Self.index.lookup("75-45-7")
        #expect(response.results.isEmpty)
        #expect(response.notes.first?.contains("check digit") == true)
        #expect(Self.index.lookup("   ").notes == ["The query is empty."])
        #expect(Self.index.lookup("zzzzqqqq").results.isEmpty)
        #expect(Self.index.lookup("CAS 75-45-7").notes.first?.contains("check digit") == true)
    }

    @Test("HS codes find items and the subheadings that typically cover controlled goods")
    func hsCodes() throws {
        let byHeading = Self.index.lookup("3827.63", limit: 50).results.compactMap(\.item?.id)
        #expect(byHeading.contains("montreal:r-410a"))
        let reptiles = Self.index.lookup("0106.20").results
        #expect(reptiles.contains { $0.regime == .cites })
        let heading = Self.index.lookup("2903", limit: 200).results
        #expect(heading.contains { $0.item?.id == "montreal:hcfc-22" && $0.match == .hsHeading })
    }

    @Test("Results are deterministic")
    func deterministic() throws {
        let a = try LookupJSON(Self.index.lookup("rosewood")).encoded()
        let b = try LookupJSON(LookupIndex(reference: Fixtures.bundled.set).lookup("rosewood")).encoded()
        #expect(a == b)
    }
}

@Suite("Search text")
struct SearchTextTests {
    @Test func normalization() {
        #expect(SearchText.normalize("Éléphant  d'Afrique") == "elephant d afrique")
        #expect(SearchText.normalize("R-22") == "r 22")
        #expect(SearchText.compact(SearchText.normalize("R 22")) == "r22")
        #expect(SearchText.normalize("Straße") == "strasse")
        #expect(SearchText.normalize("ВЕЩЕСТВО") == "вещество")
        #expect(SearchText.stem("seahorses pangolins species") == "seahorse pangolin species")
        #expect(SearchText.stem("manis crocodylus") == "manis crocodylus")
    }

    @Test func editDistance() {
        func d(_ a: String, _ b: String, _ limit: Int = 3) -> Int {
            SearchText.editDistance(Array(a.utf8), Array(b.utf8), limit: limit)
        }
        #expect(d("nigra", "nigrra") == 1)
        #expect(d("dalbergia", "dalbregia") == 2)
        #expect(d("abc", "abc") == 0)
        #expect(d("kitten", "sitting") == 3)
        #expect(d("a", "abcdefgh", 2) == 3)  // gives up beyond the limit
    }
}
