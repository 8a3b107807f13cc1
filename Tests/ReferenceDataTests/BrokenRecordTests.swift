import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import ReferenceData

/// `reference check` must fail, naming file, line and field, when a record is broken. Each test copies the bundled
/// files to a temporary folder, breaks one record, and loads the folder.
@Suite("Broken reference records are reported")
struct BrokenRecordTests {
    /// Copies the bundled files and lets `edit` change the lines of one of them (line 1 is the header).
    func load(_ file: String, edit: (inout [String]) -> Void) throws -> [ReferenceIssue] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gc-broken-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: BundledReference.directory, to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent(file)
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        edit(&lines)
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return try BundledReference.load(from: dir).issues
    }

    /// Replaces the first field matching `old` on the first data line containing `marker`; returns its line number.
    static func replace(_ lines: inout [String], containing marker: String, _ old: String, with new: String) -> Int {
        let index = lines.firstIndex { $0.contains(marker) }!
        lines[index] = lines[index].replacingOccurrences(of: old, with: new)
        return index + 1
    }

    @Test("A wrong CAS check digit")
    func casCheckDigit() throws {
        var line = 0
        let issues = try load("montreal_substances.csv") {
            line = Self.replace(&$0, containing: "montreal:hcfc-22,", "75-45-6", with: "75-45-7")
        }
        #expect(
            issues.contains {
                $0.file == "montreal_substances.csv" && $0.line == line && $0.field == "cas"
                    && $0.message.contains("check digit")
            })
    }

    @Test("A malformed HS code")
    func hsCode() throws {
        var line = 0
        let issues = try load("montreal_substances.csv") {
            line = Self.replace(&$0, containing: "montreal:hcfc-22,", "2903.71", with: "2903.7")
        }
        #expect(issues.contains { $0.line == line && $0.field == "hs" })
    }

    @Test("A duplicate id names both places")
    func duplicateID() throws {
        let issues = try load("rotterdam_annex3.csv") { lines in lines.append(lines[1]) }
        let duplicate = try #require(issues.first { $0.field == "id" && $0.message.contains("duplicate") })
        #expect(duplicate.file == "rotterdam_annex3.csv")
        #expect(duplicate.message.contains("rotterdam_annex3.csv:2"))
    }

    @Test("A record without its source")
    func missingSource() throws {
        var line = 0
        let issues = try load("requirements.csv") { lines in
            lines.insert("cites,Appendix I,import,permit,CITES import permit,An import permit is required.,", at: 1)
            line = 2
        }
        #expect(issues.contains { $0.line == line && $0.field == "source" && $0.message.contains("required") })
    }

    @Test("A blend whose composition does not sum to 100 %")
    func blendSum() throws {
        var line = 0
        let issues = try load("montreal_blends.csv") {
            line = Self.replace(&$0, containing: "montreal:r-410a,", "R-125:50", with: "R-125:49")
        }
        #expect(issues.contains { $0.line == line && $0.field == "composition" && $0.message.contains("99") })
    }

    @Test("A blend component that is not a known refrigerant")
    func unknownComponent() throws {
        var line = 0
        let issues = try load("montreal_blends.csv") {
            line = Self.replace(&$0, containing: "montreal:r-410a,", "R-32:50", with: "R-9999:50")
        }
        #expect(issues.contains { $0.line == line && $0.message.contains("R-9999") })
    }

    @Test("An implausible listing date", arguments: ["1950-01-01", "2099-01-01", "2021-02-30"])
    func implausibleDate(date: String) throws {
        var line = 0
        let issues = try load("stockholm_annexes.csv") { lines in
            let index = lines.firstIndex { $0.contains(",2004-05-17,") }!
            lines[index] = lines[index].replacingOccurrences(of: ",2004-05-17,", with: ",\(date),")
            line = index + 1
        }
        #expect(issues.contains { $0.line == line && $0.field == "in_force" })
    }

    @Test("A party date before the agreement existed")
    func earlyMembership() throws {
        var line = 0
        let issues = try load("countries.csv") { lines in
            let index = lines.firstIndex { $0.hasPrefix("FR,") }!
            var fields = lines[index].components(separatedBy: ",")
            fields[17] = "2010-01-01"  // kigali column
            lines[index] = fields.joined(separator: ",")
            line = index + 1
        }
        #expect(issues.contains { $0.line == line && $0.field == "kigali" && $0.message.contains("2019-01-01") })
    }

    @Test("A wrong field count, an unknown appendix, and a missing required column")
    func structure() throws {
        let short = try load("cites_higher_taxa.csv") { lines in lines[3] = "cites:broken,Broken" }
        #expect(short.contains { $0.file == "cites_higher_taxa.csv" && $0.line == 4 && $0.message.contains("fields") })

        var line = 0
        let appendix = try load("cites_higher_taxa.csv") {
            line = Self.replace(&$0, containing: "cites:dalbergia,", ",II,", with: ",IV,")
        }
        #expect(appendix.contains { $0.line == line && $0.field == "appendix" })

        let missing = try load("basel_entries.csv") { lines in
            lines[0] = lines[0].replacingOccurrences(of: "source", with: "reference")
        }
        #expect(missing.contains { $0.file == "basel_entries.csv" && $0.line == 1 && $0.message.contains("source") })
    }

    @Test("An HS link to an item that does not exist")
    func unknownItem() throws {
        let issues = try load("hs_interconnection.csv") { lines in
            lines.insert("0106.20,Reptiles; live,cites,cites:no-such-taxon,covers,,test source", at: 1)
        }
        #expect(issues.contains { $0.line == 2 && $0.field == "items" && $0.message.contains("cites:no-such-taxon") })
    }
}
