import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import Screening

/// Output formats, the multi-threaded batch screener and its summary, and screening arbitrary input.
@Suite("Screening output and batch screening")
struct ScreeningOutputTests {
    static var engine: ScreeningEngine { ScreeningEngineTests.engine }

    /// A result with every kind of character that needs escaping, built by hand so the bytes are known.
    static let known = ScreeningResult(
        lineID: "L\"1\\", lineNumber: 2, lane: .red, riskScore: 75,
        findings: [
            Finding(
                regime: .montreal, certainty: .certain, basis: .description, itemID: "montreal:hcfc-22",
                item: "HCFC-22", listing: "Annex C, Group I", evidence: "R-22 \"cyl\"\ttab\u{01}é",
                match: .ashraeDesignation, corroboratedBy: [.hsCode], explanation: nil,
                requirements: ["Import licence", "Quota \\ 2024"]),
            Finding(
                regime: .montreal, certainty: .likely, basis: .description, itemID: "montreal:cfc-115",
                item: "CFC-115", listing: "Annex A, Group I", evidence: "R-502", match: .ashraeDesignation,
                corroboratedBy: [], explanation: "component of R-502 (51.2 % by mass)", requirements: []),
        ],
        flags: [Flag(.missingPermit, "needs:\na\r\nb"), Flag(.hsMismatch, "HS \"2903.45\"")],
        referenceVersion: "bundled-2025.1+abc")

    static func written(_ result: ScreeningResult, _ format: ResultFormat) -> String {
        var out: [UInt8] = []
        format.write(result, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: JSON Lines

    @Test("JSON Lines: keys in a fixed order, quotes, backslashes and control characters escaped, one line")
    func jsonLine() throws {
        let expected =
            #"{"line_id":"L\"1\\","lane":"red","risk_score":75,"findings":["#
            + #"{"regime":"montreal","certainty":"certain","basis":"description","item_id":"montreal:hcfc-22","#
            + #""item":"HCFC-22","listing":"Annex C, Group I","evidence":"R-22 \"cyl\"\ttab\u0001é","#
            + #""match":"ashrae_designation","corroborated_by":["hs_code"],"#
            + #""requirements":["Import licence","Quota \\ 2024"]},"#
            + #"{"regime":"montreal","certainty":"likely","basis":"description","item_id":"montreal:cfc-115","#
            + #""item":"CFC-115","listing":"Annex A, Group I","evidence":"R-502","match":"ashrae_designation","#
            + #""explanation":"component of R-502 (51.2 % by mass)","requirements":[]}],"#
            + #""flags":[{"code":"missing_permit","message":"needs:\na\r\nb"},"#
            + #"{"code":"hs_mismatch","message":"HS \"2903.45\""}],"reference_version":"bundled-2025.1+abc"}"#
            + "\n"
        let line = Self.written(Self.known, .jsonl)
        #expect(line == expected)
        #expect(line.filter { $0 == "\n" }.count == 1)
        // And it is JSON that gives the values back.
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["line_id"] as? String == "L\"1\\")
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings[0]["evidence"] as? String == "R-22 \"cyl\"\ttab\u{01}é")
        let flags = try #require(object["flags"] as? [[String: Any]])
        #expect(flags[0]["message"] as? String == "needs:\na\r\nb")
    }

    @Test("JSON string literals escape every control character and keep other text as UTF-8")
    func jsonStrings() {
        func literal(_ s: String) -> String {
            var out: [UInt8] = []
            ResultWriter.string(s, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(literal("plain text") == #""plain text""#)
        #expect(literal("") == #""""#)
        #expect(literal("a\"b") == #""a\"b""#)
        #expect(literal("a\\b") == #""a\\b""#)
        #expect(literal("\n\r\t") == #""\n\r\t""#)
        #expect(literal("\u{00}\u{1F}\u{08}\u{0C}") == #""\u0000\u001f\u0008\u000c""#)
        #expect(literal("\u{7F}") == "\"\u{7F}\"")
        #expect(literal("Éléphant 象 🐘") == "\"Éléphant 象 🐘\"")
        for c in 0..<0x20 {
            let s = literal(String(UnicodeScalar(UInt8(c))))
            #expect(!s.utf8.contains { $0 < 0x20 }, "control character \(c) is written raw")
        }
    }

    @Test("A result without findings or flags is a short JSON line")
    func jsonLineGreen() {
        let green = ScreeningResult(
            lineID: "7", lineNumber: 8, lane: .green, riskScore: 0, findings: [], flags: [], referenceVersion: "v")
        #expect(
            Self.written(green, .jsonl)
                == #"{"line_id":"7","lane":"green","risk_score":0,"findings":[],"flags":[],"reference_version":"v"}"#
                + "\n")
    }

    @Test("An engine result is written with the reference version and parses as JSON")
    func jsonLineFromEngine() throws {
        let record = DeclarationRecord(
            lineNumber: 2, fields: [.lineID: "A-1", .description: "R-22 refrigerant", .direction: "import"])
        let line = Self.written(Self.engine.screen(record), .jsonl)
        #expect(line.hasPrefix(#"{"line_id":"A-1","lane":"red","risk_score":75,"findings":[{"regime":"montreal","#))
        #expect(line.hasSuffix(#""reference_version":"\#(Fixtures.bundled.set.version)"}"# + "\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let flags = try #require(object["flags"] as? [[String: Any]])
        #expect(flags.map { $0["code"] as? String } == ["missing_permit"])
    }

    // MARK: CSV

    @Test("CSV: one row per result, fields with commas, quotes or line breaks quoted, quotes doubled")
    func csvRow() {
        #expect(ResultFormat.csv.header == Array("line_id,lane,risk_score,regimes,findings,flags\n".utf8))
        let expected =
            "\"L\"\"1\\\",red,75,montreal,"
            + "\"montreal certain montreal:hcfc-22 [Annex C, Group I] \"\"R-22 \"\"cyl\"\"\ttab\u{01}é\"\" | "
            + "montreal likely montreal:cfc-115 [Annex A, Group I] \"\"R-502\"\"\","
            + "\"missing_permit: needs:\na\r\nb | hs_mismatch: HS \"\"2903.45\"\"\"\n"
        #expect(Self.written(Self.known, .csv) == expected)

        let green = ScreeningResult(
            lineID: "7", lineNumber: 8, lane: .green, riskScore: 0, findings: [], flags: [], referenceVersion: "v")
        #expect(Self.written(green, .csv) == "7,green,0,,,\n")
    }

    @Test(
        "CSV: a field that starts like a formula is prefixed with an apostrophe",
        arguments: [
            ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""), ("+1", "'+1"), ("-1", "'-1"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"), ("=1,2", "\"'=1,2\""), ("plain", "plain"), ("a=b", "a=b"), ("", ""),
            ("a,b", "\"a,b\""), ("line\nbreak", "\"line\nbreak\""), ("cr\r", "\"cr\r\""),
        ])
    func csvField(value: String, written: String) {
        var out: [UInt8] = []
        ResultWriter.csvField(value, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == written)
    }

    @Test("CSV: a line id that starts like a formula cannot run in a spreadsheet")
    func csvLineIDFormula() {
        let result = ScreeningResult(
            lineID: "=cmd|' /C calc'!A0", lineNumber: 2, lane: .green, riskScore: 0, findings: [], flags: [],
            referenceVersion: "v")
        #expect(Self.written(result, .csv) == "'=cmd|' /C calc'!A0,green,0,,,\n")
    }

    // MARK: Table

    @Test("Table: aligned columns, one row per finding, its needs, and each flag")
    func table() {
        #expect(
            ResultFormat.table.header == Array("LINE         LANE    RISK  FINDINGS AND FLAGS\n".utf8))
        let pad27 = String(repeating: " ", count: 27)
        let pad29 = String(repeating: " ", count: 29)
        let expected =
            "L\"1\\         RED     75    montreal certain: HCFC-22 [Annex C, Group I] from description "
            + "\"R-22 \"cyl\"\ttab\u{01}é\"\n"
            + pad29 + "needs: Import licence; Quota \\ 2024\n"
            + pad27 + "montreal likely: CFC-115 [Annex A, Group I] from description \"R-502\" "
            + "(component of R-502 (51.2 % by mass))\n"
            + pad27 + "! missing_permit: needs:\na\r\nb\n"
            + pad27 + "! hs_mismatch: HS \"2903.45\"\n"
        #expect(Self.written(Self.known, .table) == expected)

        let green = ScreeningResult(
            lineID: "1", lineNumber: 2, lane: .green, riskScore: 0, findings: [], flags: [], referenceVersion: "v")
        #expect(Self.written(green, .table) == "1            GREEN   0     -\n")
        let flagOnly = ScreeningResult(
            lineID: "A-very-long-line-id", lineNumber: 2, lane: .yellow, riskScore: 15, findings: [],
            flags: [Flag(.invalidCAS, "bad")], referenceVersion: "v")
        #expect(Self.written(flagOnly, .table) == "A-very-long-line-id YELLOW  15    ! invalid_cas: bad\n")
    }

    // MARK: Batch screening

    struct Run {
        var output: [UInt8] = []
        var errors: [DeclarationError] = []
        var summary = ScreeningSummary()
        var text: String { String(decoding: output, as: UTF8.self) }
        var lines: [Substring] { text.split(separator: "\n") }
    }

    /// The line ids of a JSON Lines output, in order.
    static func lineIDs(_ run: Run) throws -> [String] {
        try run.lines.map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["line_id"] as? String)
        }
    }

    static func run(
        _ input: [UInt8], format: ResultFormat = .jsonl, threads: Int = 1, batchSize: Int = 7,
        inputFormat: DeclarationReader<MemorySource>.Format? = nil
    ) throws(InputError) -> Run {
        var run = Run()
        let screener = BatchScreener(engine: engine, format: format, threads: threads, batchSize: batchSize)
        run.summary = try screener.run(
            MemorySource(input), inputFormat: inputFormat, write: { run.output += $0 },
            reportError: { run.errors.append($0) })
        run.summary.seconds = 0
        return run
    }

    static let descriptions = [
        "R-22 refrigerant 13.6 kg cylinders", "Python regius skins", "cotton t-shirts", "used lead-acid batteries",
        "Aldrin technical grade", "pangolin scales", "\"Freon\", in cans", "ivory coloured paper",
        "Methylphosphonic acid drums", "maize grain MON-ØØ81Ø-6", "shark fin dried", "R-404A", "Aloe vera gel",
        "rosewood logs", "Tiger Balm", "caviar", "Pyton regius live", "waste batteries A1160", "HCFC-22",
    ]

    /// A CSV input of `count` lines, with a quoted multi-line field every 13th line and a malformed line every 17th.
    static func csvInput(_ count: Int) -> [UInt8] {
        var text = "line_id,description,hs_code,cas_number,direction,origin,destination,date,permit_refs\n"
        for n in 1...count {
            let description = descriptions[n % descriptions.count]
            let quoted = "\"" + description.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            if n % 17 == 0 {
                text += "\(n),\"broken \"quote,2903.71,,,,,,\n"
            } else if n % 13 == 0 {
                text += "\(n),\"two\nlines: \(description.replacingOccurrences(of: "\"", with: ""))\",,,import,,,,\n"
            } else {
                let direction = ["import", "export", "", "transit"][n % 4]
                let date = n % 5 == 0 ? "2024-01-0\(n % 9 + 1)" : ""
                let cas = n % 11 == 0 ? "75-45-6" : ""
                text += "\(n),\(quoted),,\(cas),\(direction),DE,NG,\(date),\(n % 3 == 0 ? "P-\(n)" : "")\n"
            }
        }
        return Array(text.utf8)
    }

    @Test(
        "Batch screening gives byte-identical output whatever the number of threads",
        arguments: ResultFormat.allCases)
    func threadsGiveSameOutput(format: ResultFormat) throws {
        let input = Self.csvInput(300)
        let one = try Self.run(input, format: format, threads: 1)
        #expect(one.summary.lines > 250)
        #expect(one.errors.count == 300 / 17)
        for threads in [2, 4] {
            let many = try Self.run(input, format: format, threads: threads)
            #expect(many.output == one.output, "\(threads) threads")
            #expect(many.errors == one.errors)
            #expect(many.summary == one.summary)
        }
        let bigBatches = try Self.run(input, format: format, threads: 3, batchSize: 4096)
        #expect(bigBatches.output == one.output)
        let tinyBatches = try Self.run(input, format: format, threads: 4, batchSize: 1)
        #expect(tinyBatches.output == one.output)
    }

    @Test(
        "A memo so small that lines keep overwriting one another's evidence changes nothing in the output",
        arguments: [1, 2, 5, 64])
    func tinyMemo(slots: Int) throws {
        // Evidence repeats within a batch and across batches, and distinct evidence shares slots.
        let input = Self.csvInput(400)
        let expected = try Self.run(input, threads: 1, batchSize: 4096)
        for (threads, batchSize, budget) in [(1, 7, 1 << 20), (1, 4096, 1 << 20), (3, 16, 1 << 20), (2, 5, 3000)] {
            var run = Run()
            var screener = BatchScreener(engine: Self.engine, format: .jsonl, threads: threads, batchSize: batchSize)
            screener.memoSlots = slots
            // A budget of 3,000 bytes makes the memo start afresh every few lines.
            screener.memoBudget = budget
            run.summary = try screener.run(
                MemorySource(input), write: { run.output += $0 }, reportError: { run.errors.append($0) })
            #expect(run.output == expected.output, "\(slots) slots, \(threads) threads, batches of \(batchSize)")
        }
        // And each line equals the line screened on its own, without a memo.
        var reader = DeclarationReader(source: MemorySource(input))
        var single: [UInt8] = []
        while true {
            let b = try reader.next(maximum: 50)
            if b.isEmpty { break }
            for record in b.records { ResultFormat.jsonl.write(Self.engine.screen(record), into: &single) }
        }
        #expect(expected.output == single)
    }

    @Test("A feed started before the engine gives the same output; a broken header fails when the feed starts")
    func feed() throws {
        let input = Self.csvInput(300)
        let expected = try Self.run(input, threads: 1)
        for (threads, readAhead) in [(1, 2), (2, 16), (4, 3)] {
            let feed = try DeclarationFeed(MemorySource(input), batchSize: 7, readAhead: readAhead)
            var run = Run()
            let screener = BatchScreener(engine: Self.engine, format: .jsonl, threads: threads, batchSize: 7)
            run.summary = try screener.run(feed, write: { run.output += $0 }, reportError: { run.errors.append($0) })
            run.summary.seconds = 0
            #expect(run.output == expected.output, "\(threads) threads, \(readAhead) batches ahead")
            #expect(run.errors == expected.errors)
            #expect(run.summary == expected.summary)
        }
        #expect(throws: InputError.self) { try DeclarationFeed(MemorySource("foo,bar\n1,2\n")) }
        let empty = try DeclarationFeed(MemorySource("line_id,description\n"))
        var output: [UInt8] = []
        let summary = try BatchScreener(engine: Self.engine, format: .csv, threads: 2).run(
            empty, write: { output += $0 }, reportError: { _ in })
        #expect(summary.lines == 0)
        #expect(output == ResultFormat.csv.header)
    }

    @Test("A memo that finds fewer than one line in five of a window empties itself and sits out 16 batches, then 32")
    func memoPausesOnFilesThatDoNotRepeat() {
        var memo = EvidenceMemo()
        func distinctBatches(_ count: Int, from start: Int) -> [[DeclarationRecord]] {
            (0..<count).map { b in
                (0..<4096).map { k in
                    DeclarationRecord(
                        lineNumber: 2, fields: [.lineID: "1", .description: "goods lot \(start + b * 4096 + k)"])
                }
            }
        }
        var found: [LineScreening.Remembered?] = []
        var quiet: [Bool] = []
        let quietBox = LineScreening.Remembered(.quiet)
        for batch in distinctBatches(16, from: 0) {
            let used = memo.beginBatch()
            #expect(used)
            memo.lookUp(batch, into: &found, quiet: &quiet)
            for record in batch {
                _ = memo.lookUp(record)
                memo.store(quietBox, record)
            }
        }
        // 65,536 look-ups, none found: the memo sits out 16 batches, finding nothing meanwhile.
        let known = distinctBatches(1, from: 0)[0]
        for _ in 0..<16 {
            let used = memo.beginBatch()
            #expect(!used)
            memo.lookUp(known, into: &found, quiet: &quiet)
            #expect(!quiet.contains(true))
        }
        let resumed = memo.beginBatch()
        #expect(resumed)
        // What it held was dropped when it paused.
        memo.lookUp(known, into: &found, quiet: &quiet)
        #expect(!quiet.contains(true))
        for batch in distinctBatches(15, from: 1 << 20) {
            let used = memo.beginBatch()
            #expect(used)
            memo.lookUp(batch, into: &found, quiet: &quiet)
        }
        var paused = 0
        while !memo.beginBatch() { paused += 1 }
        #expect(paused == 32)
    }

    @Test("Batch output equals screening each record on its own, in input order")
    func batchEqualsSingle() throws {
        let input = Self.csvInput(60)
        let batch = try Self.run(input, threads: 2)
        var reader = DeclarationReader(source: MemorySource(input))
        var expected: [UInt8] = []
        while true {
            let b = try reader.next(maximum: 5)
            if b.isEmpty { break }
            for record in b.records { ResultFormat.jsonl.write(Self.engine.screen(record), into: &expected) }
        }
        #expect(batch.output == expected)
        #expect(batch.lines.count == batch.summary.lines)
    }

    @Test("Malformed lines are reported with their line numbers and every good line is still written, in order")
    func malformedLines() throws {
        var input = Array("line_id,description,hs_code\n".utf8)
        input += Array("1,cotton t-shirts,6109.10\n".utf8)
        input += Array("2,R-22 refrigerant,2903.71\n".utf8)
        input += Array("3,\"unbalanced quote,2903.71\n".utf8)
        input += Array("4,Python regius live,0106.20\n".utf8)
        input += Array("5,bad ".utf8) + [0xFF, 0xFE] + Array(" bytes,\n".utf8)
        input += Array("6,\"Tiger Balm\",3004.90\n".utf8)
        input += Array("7,too,many,fields\n".utf8)
        input += Array("8,\"closed\"then text,\n".utf8)
        input += Array("9,Panthera tigris skin,4301.80".utf8)  // no final line feed
        for threads in [1, 3] {
            let run = try Self.run(input, threads: threads, batchSize: 2)
            #expect(run.errors.map(\.lineNumber) == [4, 6, 8, 9], "\(threads) threads")
            #expect(run.errors[1].message == "is not valid UTF-8")
            #expect(run.errors[2].message == "has 4 fields, the header has 3")
            #expect(try Self.lineIDs(run) == ["1", "2", "4", "6", "9"])
            #expect(run.summary.lines == 5)
            #expect(run.summary.errors == 4)
        }
    }

    @Test("Malformed JSON lines are reported with their line numbers; the others are screened")
    func malformedJSONLines() throws {
        let input = """
            {"line_id":"1","description":"R-22 refrigerant"}
            {"line_id":"2","description":"Python regius
            not json at all

            {"line_id":"3","description":"cotton t-shirts","hs_code":6109.10}
            {"line_id":"4","description":"x","description":"y"}
            {"line_id":"5","species":"Panthera tigris"} trailing
            {"line_id":"6","species":"Panthera tigris"}
            """
        let run = try Self.run(Array(input.utf8), threads: 2, batchSize: 1)
        #expect(run.errors.map(\.lineNumber) == [2, 3, 6, 7])
        #expect(try Self.lineIDs(run) == ["1", "3", "6"])
    }

    static func withoutColumn(_ error: DeclarationError) -> DeclarationError {
        var e = error
        if let r = e.message.range(of: " at column ") { e.message = String(e.message[..<r.lowerBound]) }
        return e
    }

    @Test("A JSON error names the column within its own line")
    func jsonErrorColumn() throws {
        let input = [
            #"{"line_id":"1","description":"R-22"}"#, #"{"line_id":"2","description":"x"}"#,
            #"{"line_id":"3" "description":"y"}"#, "nonsense",
        ].joined(separator: "\n")
        let run = try Self.run(Array(input.utf8), threads: 1)
        #expect(run.errors.map(\.lineNumber) == [3, 4])
        #expect(
            run.errors.map(Self.withoutColumn).map(\.message) == [
                "is not valid JSON: expected ',' or '}'", "is not valid JSON: expected a JSON object",
            ])
        #expect(
            run.errors.map(\.message) == [
                "is not valid JSON: expected ',' or '}' at column 16",
                "is not valid JSON: expected a JSON object at column 1",
            ])
    }

    @Test(
        "An unusable header stops the run before anything is written",
        arguments: [
            "description,hs_code\ncotton,6109.10\n", "line_id,quantity\n1,5\n", "line_id,description,DESCRIPTION\n",
            "line_id,\"description\n", "",
        ])
    func brokenHeader(input: String) {
        var written = 0
        let screener = BatchScreener(engine: Self.engine, format: .csv, threads: 2)
        #expect(throws: InputError.self) {
            _ = try screener.run(MemorySource(input), write: { written += $0.count }, reportError: { _ in })
        }
        #expect(written == 0)
    }

    @Test("The header's error message names what is missing")
    func brokenHeaderMessage() {
        let screener = BatchScreener(engine: Self.engine, format: .jsonl, threads: 1)
        do {
            _ = try screener.run(MemorySource("description\nx\n"), write: { _ in }, reportError: { _ in })
            Issue.record("no error thrown")
        } catch {
            #expect(error.message == "the header lacks required column(s): line_id")
        }
    }

    @Test("A header alone gives the header of the output format and an empty summary")
    func headerOnly() throws {
        let run = try Self.run(Array("line_id,description\n".utf8), format: .csv, threads: 4)
        #expect(run.text == "line_id,lane,risk_score,regimes,findings,flags\n")
        #expect(run.summary.lines == 0 && run.summary.errors == 0)
        #expect(run.summary.referenceVersion == Fixtures.bundled.set.version)
    }

    // MARK: Summary

    @Test("The summary counts lines, unreadable lines, lanes, hits by regime, possible-only lines and flags")
    func summaryCounts() throws {
        let input = """
            line_id,description,direction,permit_refs
            1,cotton t-shirts,,
            2,R-22 refrigerant,import,
            3,R-22 refrigerant,import,LIC-1
            4,caviar,,
            5,Lindane,import,X
            6,"broken,,
            7,Python regius skins,export,
            8,ivory coloured paper,,
            """
        let run = try Self.run(Array(input.utf8), threads: 2, batchSize: 3)
        let s = run.summary
        #expect(s.lines == 7)
        #expect(s.errors == 1)
        #expect(s.lanes == [.green: 2, .yellow: 2, .red: 3])
        #expect(s.hitsByRegime == [.montreal: 2, .rotterdam: 1, .stockholm: 1, .cites: 1])
        #expect(s.possibleOnly == 1)
        #expect(s.flags == ["missing_permit": 2, "pops_import": 1])
        #expect(s.referenceVersion == Fixtures.bundled.set.version)
    }

    @Test("The summary as JSON has its keys in a fixed order")
    func summaryJSON() {
        var s = ScreeningSummary()
        s.lines = 3
        s.errors = 1
        s.lanes = [.red: 2, .green: 1]
        s.hitsByRegime = [.cites: 2]
        s.possibleOnly = 1
        s.flags = ["missing_permit": 2, "basel_ban": 1]
        s.seconds = 2
        s.referenceVersion = "bundled \"x\""
        #expect(
            s.json
                == #"{"lines":3,"errors":1,"lanes":{"green":1,"yellow":0,"red":2},"#
                + #""hits_by_regime":{"basel":0,"cartagena":0,"cites":2,"montreal":0,"rotterdam":0,"#
                + #""stockholm":0,"cwc":0},"#
                + #""possible_only":1,"flags":{"basel_ban":1,"missing_permit":2},"#
                + #""seconds":2.000,"lines_per_second":2,"reference_version":"bundled \"x\""}"#)
        s.startupSeconds = 0.25
        #expect(s.json.contains(#""lines_per_second":2,"startup_seconds":0.250,"reference_version""#))
        #expect(
            s.text
                == "screened 3 line(s), 1 unreadable line(s) skipped, in 2.00 s (2 lines/s; start-up 0.25 s)\n"
                + "lanes: red 2, yellow 0, green 1\n"
                + "lines with certain or likely findings, by regime: basel 0, cartagena 0, cites 2, montreal 0, "
                + "rotterdam 0, stockholm 0, cwc 0\n"
                + "lines with possible findings only: 1\n"
                + "flags: basel_ban 1, missing_permit 2\n"
                + "reference version: bundled \"x\"\n")
    }

    // MARK: Arbitrary input

    static let csvSeed = Array(
        """
        line_id,description,hs_code,cas_number,species,direction,origin,destination,date,permit_refs
        1,"R-22 refrigerant, 13.6 kg",2903.71,75-45-6,,import,CN,NG,2024-01-01,
        2,Python regius skins,4103.20,,Python regius,export,GH,US,2024-02-01,"CITES 24GH1"
        3,"multi
        line ""quoted"" text",,,,,,,,
        4,used lead-acid batteries,8549.11,,,export,DE,NG,2024-01-01,
        5,Éléphant d'Asie,,,,,,,,

        6,cotton t-shirts,6109.10,,,import,BD,DE,2024-03-01,

        """.utf8)

    static let jsonSeed = Array(
        """
        {"line_id":"1","description":"R-22 refrigerant, 13.6 kg","hs_code":"2903.71","cas_number":"75-45-6"}
        {"line_id":"2","description":"Python regius skins","species":"Python regius","permit_refs":["A","B"]}
        {"line_id":"3","description":"multi\\nline \\"quoted\\" \\u00e9 text","direction":"import"}

        {"line_id":4,"description":"used lead-acid batteries","origin":"DE","destination":"NG","extra":{"a":[1,2]}}
        {"line_id":"5","description":"Éléphant d'Asie","date":"2024-01-01","direction":"export"}
        """.utf8)

    static func mutate(_ seed: [UInt8], _ generator: inout SplitMix64) -> [UInt8] {
        let interesting: [UInt8] = Array(",\"\n\r{}[]:\\ 0-".utf8) + [0x00, 0xC3, 0xA9, 0xFF, 0x80, 0xEF, 0xBB, 0xBF]
        var bytes = seed
        for _ in 0...Int(generator.next() % 4) {
            let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
            let byte =
                generator.next() % 2 == 0
                ? interesting[Int(generator.next() % UInt64(interesting.count))]
                : UInt8(truncatingIfNeeded: generator.next())
            switch generator.next() % 5 {
            case 0 where !bytes.isEmpty: bytes[position] = byte
            case 1: bytes.insert(byte, at: position)
            case 2 where !bytes.isEmpty: bytes.remove(at: position)
            case 3:
                let length = min(Int(generator.next() % 40), bytes.count - position)
                bytes.insert(contentsOf: bytes[position..<(position + length)], at: position)
            default:
                let length = min(Int(generator.next() % 40), bytes.count - position)
                bytes.removeSubrange(position..<(position + length))
            }
        }
        return bytes
    }

    /// The physical lines of an input (a final line feed does not start another line).
    static func physicalLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if bytes.last == 0x0A || bytes.isEmpty { lines.removeLast() }
        return lines
    }

    static func readAll(_ bytes: [UInt8], _ format: DeclarationReader<MemorySource>.Format?) throws(InputError) -> (
        records: [DeclarationRecord], errors: [DeclarationError]
    ) {
        var reader = DeclarationReader(source: MemorySource(bytes), format: format, chunkSize: 64)
        var records: [DeclarationRecord] = []
        var errors: [DeclarationError] = []
        while true {
            let batch = try reader.next(maximum: 3)
            if batch.isEmpty { return (records, errors) }
            records += batch.records
            errors += batch.errors
        }
    }

    @Test("Mutated JSON Lines input never traps and every non-blank line is either a result or an error")
    func fuzzJSONLines() throws {
        var generator = SplitMix64(seed: 2024)
        for iteration in 0..<400 {
            let input = Self.mutate(Self.jsonSeed, &generator)
            let (records, errors) = try Self.readAll(input, .jsonl)
            let nonBlank = Self.physicalLines(input).enumerated().filter { _, line in
                !line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            }.map { $0.offset + 1 }
            let numbers = records.map(\.lineNumber) + errors.map(\.lineNumber)
            #expect(numbers.sorted() == nonBlank, "iteration \(iteration)")
            let run = try Self.run(input, threads: iteration % 25 == 0 ? 3 : 1, inputFormat: .jsonl)
            #expect(run.summary.lines == records.count)
            #expect(run.summary.errors == errors.count)
            // The same lines fail for the same reason whatever the reader's chunk size (the columns in JSON
            // messages are checked in `jsonErrorColumn`).
            #expect(run.errors.map(Self.withoutColumn) == errors.map(Self.withoutColumn))
            #expect(run.lines.count == records.count)
            for line in run.lines {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)")
            }
        }
    }

    @Test("Mutated CSV input never traps; results and errors come in line order, at most one per non-blank line")
    func fuzzCSV() throws {
        var generator = SplitMix64(seed: 4711)
        var usable = 0
        for iteration in 0..<400 {
            let input = Self.mutate(Self.csvSeed, &generator)
            let lines = Self.physicalLines(input)
            // A lone CR before a line feed is a blank line; at the very end of the input it is a record.
            let nonBlank = lines.enumerated().filter { offset, line in
                let terminated = offset < lines.count - 1 || input.last == 0x0A
                return !line.isEmpty && !(terminated && line.count == 1 && line.first == 0x0D)
            }.count
            let read: (records: [DeclarationRecord], errors: [DeclarationError])
            do { read = try Self.readAll(input, .csv) } catch {
                // Only the header can make a whole input unusable, and the batch screener must say so too.
                #expect(throws: InputError.self) { _ = try Self.run(input, inputFormat: .csv) }
                continue
            }
            usable += 1
            let recordLines = read.records.map(\.lineNumber)
            let errorLines = read.errors.map(\.lineNumber)
            #expect(recordLines == recordLines.sorted() && Set(recordLines).count == recordLines.count)
            #expect(errorLines == errorLines.sorted() && Set(errorLines).count == errorLines.count)
            #expect(Set(recordLines).isDisjoint(with: errorLines), "iteration \(iteration)")
            #expect((recordLines + errorLines).allSatisfy { (2...max(2, lines.count)).contains($0) })
            #expect(recordLines.count + errorLines.count <= max(0, nonBlank - 1), "iteration \(iteration)")
            let run = try Self.run(
                input, format: iteration % 2 == 0 ? .csv : .table, threads: iteration % 25 == 0 ? 4 : 1)
            #expect(run.summary.lines == read.records.count)
            #expect(run.summary.errors == read.errors.count)
            #expect(run.errors == read.errors)
        }
        #expect(usable > 200)
    }
}
