import Foundation
import Testing

@testable import ReferenceData

@Suite("CSV and gzip readers")
struct GzipCSVTests {
    static let dynamicText =
        String(repeating: "Loxodonta africana,Appendix I/II\n", count: 40) + "Dalbergia nigra,Appendix I\n"
    static let dynamicGzip: [UInt8] = [
        31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 243, 201, 175, 200, 79, 201, 207, 43, 73, 84, 72, 76, 43, 202, 76, 78, 204, 75,
        212, 113, 44, 40, 72, 205, 75, 201, 172, 80, 240, 212, 247, 244, 228, 242, 25, 85, 48, 170, 96, 84, 193, 168,
        130, 145, 173, 192, 37, 49, 39, 41, 181, 40, 61, 51, 81, 33, 47, 51, 189, 8, 89, 150, 11, 0, 143, 199, 27, 163,
        67, 5, 0, 0,
    ]
    static let storedGzip: [UInt8] = [
        31, 139, 8, 0, 0, 0, 0, 0, 4, 3, 1, 17, 0, 238, 255, 115, 116, 111, 114, 101, 100, 32, 98, 108, 111, 99, 107,
        32, 116, 101, 120, 116, 123, 49, 216, 51, 17, 0, 0, 0,
    ]
    static let fixedGzip: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 75, 76, 74, 6, 0, 194, 65, 36, 53, 3, 0, 0, 0]

    @Test("gzip members with compressed and stored blocks decompress and pass their CRC")
    func gunzip() throws {
        #expect(String(decoding: try Gzip.decompress(Self.dynamicGzip), as: UTF8.self) == Self.dynamicText)
        #expect(String(decoding: try Gzip.decompress(Self.storedGzip), as: UTF8.self) == "stored block text")
        #expect(String(decoding: try Gzip.decompress(Self.fixedGzip), as: UTF8.self) == "abc")
        // Two members back to back are one file.
        #expect(
            String(decoding: try Gzip.decompress(Self.fixedGzip + Self.storedGzip), as: UTF8.self)
                == "abcstored block text")
    }

    @Test("A corrupted gzip file is an error, not garbage")
    func corruptGzip() {
        var corrupt = Self.dynamicGzip
        corrupt[corrupt.count - 6] ^= 0xFF  // flip a CRC byte
        #expect(throws: Gzip.Problem.self) { try Gzip.decompress(corrupt) }
        #expect(throws: Gzip.Problem.self) { try Gzip.decompress(Array(Self.dynamicGzip.prefix(30))) }
        #expect(throws: Gzip.Problem.self) {
            try Gzip.decompress([0x1F, 0x8B, 9, 0] + [UInt8](repeating: 0, count: 20))
        }
    }

    @Test("RFC 4180: quotes, doubled quotes, line breaks in fields, CRLF and a byte-order mark")
    func csvParsing() throws {
        let text =
            "\u{FEFF}id,name,note\r\na,\"Smith, J.\",\"said \"\"hi\"\"\"\r\nb,two,\"line one\nline two\"\nc,three,\n"
        let table = try CSVTable(bytes: Array(text.utf8), file: "t.csv")
        #expect(table.header == ["id", "name", "note"])
        #expect(
            table.records.map(\.fields) == [
                ["a", "Smith, J.", "said \"hi\""], ["b", "two", "line one\nline two"], ["c", "three", ""],
            ])
        #expect(table.records.map(\.line) == [2, 3, 5])
        #expect(table.column("NAME") == 1)
        #expect(table.missingColumns(["id", "source"]) == ["source"])
    }

    @Test(
        "CSV errors name the file and line",
        arguments: [
            ("id,name\na,\"open\nb,c\n", 2, "never closed"),
            ("id,name\na,\"x\"y\n", 2, "after its closing quote"),
            ("id,name\na,b\nc,d\"e\n", 3, "quote inside an unquoted field"),
        ])
    func csvErrors(text: String, line: Int, message: String) {
        do {
            _ = try CSVTable(bytes: Array(text.utf8), file: "bad.csv")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "bad.csv")
            #expect(error.line == line)
            #expect(error.message.contains(message))
        }
    }

    @Test("Bad UTF-8 is reported with its line")
    func badUTF8() {
        let bytes = Array("id,name\nok,fine\nbad,".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        do {
            _ = try CSVTable(bytes: bytes, file: "u.csv")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
            #expect(error.message.contains("UTF-8"))
        }
    }
}
