import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import ReferenceData

@Suite("Species+ CITES export importer")
struct CITESImportTests {
    static let header =
        "TaxonId,Kingdom,Phylum,Class,Order,Family,Genus,Species,Subspecies,FullName,AuthorYear,RankName,CurrentListing,FullAnnotationEnglish,SynonymsWithAuthors,EnglishNames,SpanishNames,FrenchNames,SomeFutureColumn"

    func read(_ body: String) throws(CITESSpeciesPlusImporter.ImportError) -> CITESSpeciesPlusImporter.Result {
        try CITESSpeciesPlusImporter().read(
            bytes: Array((Self.header + "\n" + body).utf8), name: "Index_of_CITES_Species_2024-01-01.csv")
    }

    @Test("Reads taxa, listings, synonyms and common names; ignores unknown columns")
    func reads() throws {
        let result = try read(
            """
            4521,Animalia,Chordata,Mammalia,Proboscidea,Elephantidae,Loxodonta,africana,,Loxodonta africana,"(Blumenbach, 1797)",SPECIES,I/II,"Appendix I: except the populations of Botswana",,"African Elephant, African Savannah Elephant","elefante africano","éléphant d'Afrique",x
            9999,Plantae,,,Fabales,Leguminosae,Dalbergia,,,Dalbergia,"L.f., 1782",GENUS,II,#15,,"Rosewoods",,,x
            1234,Animalia,Chordata,Aves,Psittaciformes,Psittacidae,Melopsittacus,undulatus,,Melopsittacus undulatus,"(Shaw, 1805)",SPECIES,NC,,"Psittacus undulatus Shaw, 1805",Budgerigar,,,x
            3734,Animalia,Chordata,Aves,Apodiformes,Trochilidae,Abeillia,abeillei,,Abeillia abeillei,"(Lesson, 1839)",SPECIES,II,Appendix II: ,,,,,x
            """)
        #expect(result.items.count == 4)
        #expect(result.items[1].listings.first?.annotation == "#15")
        #expect(result.items[3].listings.first?.annotation == nil)  // "Appendix II: " alone is no annotation
        #expect(result.version.hasPrefix("cites-speciesplus-2024-01-01+"))
        let elephant = result.items[0]
        #expect(elephant.id == "cites:loxodonta-africana")
        #expect(elephant.listings.first?.list == "Appendix I/II")
        #expect(elephant.names.common["en"] == ["African Elephant", "African Savannah Elephant"])
        #expect(elephant.names.common["fr"] == ["éléphant d'Afrique"])
        #expect(elephant.taxonomy?.order == "Proboscidea")
        #expect(result.items[1].taxonomy?.rank == .genus)
        #expect(result.items[1].taxonomy?.genus == "Dalbergia")
        let budgie = result.items[2]
        #expect(!budgie.controlled)
        #expect(budgie.names.synonyms == ["Psittacus undulatus"])
        #expect(result.lines == [2, 3, 4, 5])
    }

    @Test("A missing required column is named")
    func missingColumn() {
        do {
            _ = try CITESSpeciesPlusImporter().read(bytes: Array("TaxonId,FullName\n1,Abc".utf8), name: "x.csv")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 1)
            #expect(error.message.contains("RankName"))
            #expect(error.message.contains("CurrentListing"))
        }
    }

    @Test("A bad record stops the import with its line and field")
    func badRecord() {
        do {
            _ = try read(
                """
                1,Animalia,,,,,,,,Abeillia abeillei,,SPECIES,II,,,,,,
                2,Animalia,,,,,,,,Abeillia sp,,SPECIES,IV,,,,,,
                """)
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
            #expect(error.field == "CurrentListing")
            #expect(error.description.hasPrefix("Index_of_CITES_Species_2024-01-01.csv:3: CurrentListing:"))
        }
        do {
            _ = try read("1,Animalia,,,,,,,,Abeillia abeillei,,SPECIE,II,,,,,,")
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "RankName")
        }
    }

    @Test("An unreadable file is named")
    func unreadable() {
        #expect(throws: CITESSpeciesPlusImporter.ImportError.self) {
            try CITESSpeciesPlusImporter().read(path: "/nonexistent/cites.csv")
        }
    }

    @Test("The real 2017 export: 38,079 rows, gzip-compressed", .enabled(if: SharedData.has(SharedData.citesExport)))
    func realExport() throws {
        let result = try CITESSpeciesPlusImporter().read(path: SharedData.file(SharedData.citesExport).path)
        #expect(result.items.count > 37_000)
        #expect(result.version.hasPrefix("cites-speciesplus-2017-04-21+"))
        let byID = Dictionary(result.items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byID["cites:loxodonta-africana"]?.listings.first?.list == "Appendix I/II")
        #expect(byID["cites:dalbergia-nigra"]?.listings.first?.list == "Appendix I")
        #expect(byID["cites:psittacus-erithacus"]?.names.common["en"]?.contains { $0.contains("Grey Parrot") } == true)
        #expect(ReferenceValidator.check(items: result.items, origin: "export").isEmpty)
        // Merged into the bundled set: bundled (current) listings win, imported names are added.
        let merged = Fixtures.bundled.set.merging(imported: result.items, version: result.version)
        #expect(merged.items.count > result.items.count)
        #expect(merged.version.contains("cites-speciesplus-2017-04-21"))
    }
}
