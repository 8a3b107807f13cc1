import GreenCustomsTestSupport
import Testing

@testable import Screening

@Suite("Declaration reader")
struct DeclarationReaderTests {
    /// Reads everything, with a given chunk size so record boundaries fall everywhere.
    static func readAll(_ text: String, format: DeclarationReader<MemorySource>.Format? = nil, chunk: Int = 1 << 20)
        throws -> (records: [DeclarationRecord], errors: [DeclarationError])
    {
        try readAll(Array(text.utf8), format: format, chunk: chunk)
    }

    static func readAll(
        _ bytes: [UInt8], format: DeclarationReader<MemorySource>.Format? = nil, chunk: Int = 1 << 20,
        plainRecords: Bool = true
    ) throws -> (records: [DeclarationRecord], errors: [DeclarationError]) {
        var reader = DeclarationReader(source: MemorySource(bytes), format: format, chunkSize: chunk)
        reader.plainRecords = plainRecords
        var records: [DeclarationRecord] = []
        var errors: [DeclarationError] = []
        while true {
            let batch = try reader.next(maximum: 3)
            if batch.isEmpty { break }
            records += batch.records
            errors += batch.errors
        }
        return (records, errors)
    }

    static let csv = #"""
        LINE_ID,Description,hs_code,Species,unknown_column,permit_refs\#r
        1,"Refrigerant gas R-22, 13.6 kg cylinders",2903.71,,ignored,\#r
        2,"Python regius skins, ""tanned""",4106.40,Python regius,x,"CITES 24US123; CITES 24US124"\#r
        3,12" steel pipes,7304.19,,,\#r

        4,"multi
        line",,Dalbergia nigra,,

        """#

    @Test(
        "CSV: header in any case, quotes, doubled quotes, CRLF, blank lines, unknown columns",
        arguments: [1 << 20, 16, 7])
    func csvRecords(chunk: Int) throws {
        let (records, errors) = try Self.readAll(Self.csv, chunk: chunk)
        #expect(errors.isEmpty)
        #expect(records.map { $0.string(.lineID) } == ["1", "2", "3", "4"])
        #expect(records.map(\.lineNumber) == [2, 3, 4, 6])
        #expect(records[0].string(.description) == "Refrigerant gas R-22, 13.6 kg cylinders")
        #expect(records[0].string(.hsCode) == "2903.71")
        #expect(records[1].string(.description) == "Python regius skins, \"tanned\"")
        #expect(records[1].string(.species) == "Python regius")
        #expect(records[1].string(.permitRefs) == "CITES 24US123; CITES 24US124")
        #expect(records[2].string(.description) == "12\" steel pipes")
        #expect(records[3].string(.description) == "multi\nline")
        #expect(!records[0].has(.species))
        #expect(!records[0].has(.casNumber))
    }

    @Test(
        "CSV: malformed lines are reported with their line number and skipped; good lines all come through",
        arguments: [1 << 20, 5])
    func csvErrors(chunk: Int) throws {
        let text =
            "line_id,description,hs_code\n1,ok one,0101.21\n2,\"x\"y,0101.21\n3,a,b,c,d\n4,ok four,\n5,\"never closed\n6,ok six,\n"
        let (records, errors) = try Self.readAll(text, chunk: chunk)
        #expect(records.map { $0.string(.lineID) } == ["1", "4", "6"])
        #expect(errors.map(\.lineNumber) == [3, 4, 6])
        #expect(errors[0].message.contains("after its closing quote"))
        #expect(errors[1].message.contains("5 fields, the header has 3"))
        #expect(errors[2].message.contains("never closed") || errors[2].message.contains("unbalanced"))
    }

    @Test("CSV: bad UTF-8 and fields over 64 KiB")
    func csvLimits() throws {
        let bad = Array("line_id,description\n1,caf".utf8) + [0xC3, 0x28] + Array("\n2,fine\n".utf8)
        let (records, errors) = try Self.readAll(bad)
        #expect(records.map { $0.string(.lineID) } == ["2"])
        #expect(errors == [DeclarationError(lineNumber: 2, message: "is not valid UTF-8")])

        let huge = "line_id,description\n1," + String(repeating: "a", count: 70_000) + "\n2,fine\n"
        let (r2, e2) = try Self.readAll(huge, chunk: 4096)
        #expect(r2.map { $0.string(.lineID) } == ["2"])
        #expect(e2.first?.lineNumber == 2)
        #expect(e2.first?.message.contains("64 KiB") == true)

        let unclosed = "line_id,description\n1,\"" + String(repeating: "b", count: 70_000) + "\n2,fine\n"
        let (r3, e3) = try Self.readAll(unclosed, chunk: 4096)
        #expect(e3.first?.lineNumber == 2)
        #expect(r3.last.map { $0.string(.lineID) } == "2")
    }

    @Test("CSV: an unusable header stops with a clear error")
    func csvHeader() {
        #expect(throws: InputError("the header lacks required column(s): line_id")) {
            try Self.readAll("id,description\n1,x\n")
        }
        #expect(throws: InputError.self) { try Self.readAll("line_id,quantity\n1,3\n") }
        #expect(throws: InputError("the input is empty: a CSV file starts with a header row")) {
            try Self.readAll("", format: .csv)
        }
        #expect(throws: InputError("the header names column description twice")) {
            try Self.readAll("line_id,description,Description\n")
        }
    }

    @Test(
        "JSON Lines: strings with escapes, numbers, arrays of permits, unknown keys, detected from the first byte",
        arguments: [1 << 20, 9])
    func jsonLines(chunk: Int) throws {
        let text = """
            {"line_id": "A1", "description": "R-404A \\"Forane\\" \\u00e9\\ud83d\\ude00", "quantity": 13.6, "extra": {"a": [1, 2]}}

            {"LINE_ID": 2, "species": "Loxodonta africana", "permit_refs": ["P1", "P2"], "origin": null}
            {"line_id": "3", "description": }
            {"line_id": "4", "hs_code": "2903.71"} trailing
            {"line_id": "5", "cas_number": "75-45-6"}
            {"description": "no line id"}
            {"line_id": "8", "quantity": 3}
            """
        let (records, errors) = try Self.readAll(text, chunk: chunk)
        #expect(records.map { $0.string(.lineID) } == ["A1", "2", "5"])
        #expect(records[0].string(.description) == "R-404A \"Forane\" é😀")
        #expect(records[0].string(.quantity) == "13.6")
        #expect(records[1].string(.permitRefs) == "P1;P2")
        #expect(!records[1].has(.origin))
        #expect(records.map(\.lineNumber) == [1, 3, 6])
        #expect(errors.map(\.lineNumber) == [4, 5, 7, 8])
        #expect(errors[2].message == "line_id is missing")
        #expect(errors[3].message == "has none of hs_code, description, cas_number, species")
    }

    /// A record's line number and every field's value, for comparing two readings.
    static func fields(_ record: DeclarationRecord) -> [String] {
        ["\(record.lineNumber)"] + DeclarationField.allCases.map { record.has($0) ? "=" + record.string($0) : "-" }
    }

    @Test(
        "CSV: quoted fields, CRLF, embedded line feeds and every awkward ending read the same by the fast path and byte by byte",
        arguments: [1 << 20, 1, 2, 5, 64])
    func fastPathAgrees(chunk: Int) throws {
        let header = "line_id,description,hs_code,species\r\n"
        let bodies = [
            "1,plain,0101.21,\r\n", "2,\"quoted, with comma\",0101.21,Python regius\n",
            "3,\"a \"\"doubled\"\" quote\",,\n",
            "4,\"multi\nline\",,\n", "5,\"closed\" ,,\n", "6,\"closed\"x,,\n", "7,12\" pipe,,\n", "8,a\rb,,\r\n",
            "9,,,\"Panthera tigris\"\r\n", "10,\"\",\"\",\"\"\n", "11,too,many,fields,here\n", "12,last,no,newline\r",
        ]
        for n in 0..<bodies.count {
            let text = header + bodies[n...].joined() + bodies[..<n].joined()
            let fast = try Self.readAll(Array(text.utf8), chunk: chunk)
            let slow = try Self.readAll(Array(text.utf8), chunk: chunk, plainRecords: false)
            #expect(fast.records.map(Self.fields) == slow.records.map(Self.fields), "rotation \(n)")
            #expect(fast.errors == slow.errors, "rotation \(n)")
        }
    }

    @Test("Fuzz: no byte sequence traps, and every line is either a record or an error")
    func fuzz() throws {
        var rng = SplitMix64(seed: 0x6EE2_C057)
        let seeds = [
            Array(Self.csv.utf8), Array("{\"line_id\":\"1\",\"description\":\"x\\u0041\"}\n{\"line_id\":2}\n".utf8),
        ]
        for round in 0..<400 {
            var bytes = seeds[round % 2]
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                let position = Int(rng.next() % UInt64(max(bytes.count, 1)))
                switch rng.next() % 4 {
                case 0: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: position)
                case 1: if !bytes.isEmpty { bytes.remove(at: min(position, bytes.count - 1)) }
                case 2:
                    if !bytes.isEmpty {
                        bytes[min(position, bytes.count - 1)] =
                            [0x22, 0x2C, 0x0A, 0x0D, 0x7B, 0x5C, 0xFF, 0xC3][Int(rng.next() % 8)]
                    }
                default: bytes.insert(contentsOf: bytes.prefix(Int(rng.next() % 20)), at: position)
                }
            }
            for chunk in [1 << 20, 3] {
                do {
                    let (records, errors) = try Self.readAll(bytes, chunk: chunk)
                    let lines = records.map(\.lineNumber) + errors.map(\.lineNumber)
                    #expect(Set(lines).count == lines.count, "a line reported twice in round \(round)")
                    // The fast path for ordinary records reads exactly what the byte-by-byte scan reads.
                    let (slowRecords, slowErrors) = try Self.readAll(bytes, chunk: chunk, plainRecords: false)
                    #expect(records.map(Self.fields) == slowRecords.map(Self.fields), "round \(round), chunk \(chunk)")
                    #expect(errors == slowErrors, "round \(round), chunk \(chunk)")
                } catch is InputError {
                    // An unusable header is a clean, reported failure.
                }
            }
        }
        // Pure noise.
        for _ in 0..<200 {
            let noise = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? Self.readAll(noise, chunk: 7)
            _ = try? Self.readAll(noise, format: .jsonl, chunk: 5)
        }
    }
}
