import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import ReferenceData

@Suite("HS nomenclature importer")
struct HSImportTests {
    func read(_ text: String) throws(ImportError) -> HSNomenclatureImporter.Result {
        try HSNomenclatureImporter().read(bytes: Array(text.utf8), name: "hs-2022.csv")
    }

    @Test("Reads chapters, headings and subheadings; skips aggregates and chapters 98–99")
    func reads() throws {
        let result = try read(
            """
            section,hscode,description,parent,level
            I,01,"Animals; live",TOTAL,2
            I,0106,"Animals, n.e.c. in chapter 01; live",01,4
            I,010620,"Reptiles; live (including snakes and turtles)",0106,6
            TOTAL,99,Commodities not specified according to kind,TOTAL,2
            TOTAL,TOTAL,Total,TOTAL,5
            """)
        #expect(result.entries.map(\.code) == ["01", "0106", "010620"])
        #expect(result.entries[2].description == "Reptiles; live (including snakes and turtles)")
        #expect(result.skipped == 2)
        #expect(result.version.hasPrefix("hs-nomenclature-2022+"))
    }

    @Test(
        "Bad codes, repeats and missing columns are refused with line and field",
        arguments: [
            ("hscode,description\n0106,Animals\n01062,Reptiles\n", 3, "hscode"),
            ("hscode,description\n0106,Animals\n0106,Animals again\n", 3, "hscode"),
            ("hscode,description\n0106,\n", 2, "description"),
        ])
    func refused(text: String, line: Int, field: String) {
        do {
            _ = try read(text)
            Issue.record("expected an error")
        } catch {
            #expect(error.line == line)
            #expect(error.field == field)
        }
        do {
            _ = try read("code,text\n0106,Animals\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 1)
            #expect(error.message.contains("hscode"))
        }
    }

    @Test("The full HS 2022 file imports", .enabled(if: SharedData.has("hs/harmonized-system-2022.csv")))
    func realFile() throws {
        let result = try HSNomenclatureImporter().read(path: SharedData.file("hs/harmonized-system-2022.csv").path)
        #expect(result.entries.filter { $0.code.count == 6 }.count > 5_600)
        #expect(result.entries.filter { $0.code.count == 2 }.count == 96)  // chapter 77 is reserved
        #expect(HSNomenclatureImporter.check(result.entries, origin: "hs").isEmpty)
        let merged = Fixtures.bundled.set.merging(hsDescriptions: result.entries, version: result.version)
        #expect(merged.hsDescriptions["290371"]?.contains("chlorodifluoromethane (HCFC-22)") == true)
    }
}
