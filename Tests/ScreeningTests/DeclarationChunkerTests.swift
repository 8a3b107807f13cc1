import GreenCustomsTestSupport
import Testing

@testable import Screening

/// A file cut into parts as it arrives (`DeclarationChunker`) reads, part by part, exactly as the whole file reads:
/// the same records with the same fields and line numbers, the same unreadable lines with the same messages.
@Suite("Declaration chunker")
struct DeclarationChunkerTests {
    /// What a reader makes of some bytes: one text per record or error, with its line number.
    static func read(_ reader: inout DeclarationReader<MemorySource>) throws -> [String] {
        var out: [String] = []
        while true {
            let batch = try reader.next(maximum: 1_000)
            if batch.isEmpty { return out }
            // Records and errors of one batch are each in input order; sorted by line to interleave them.
            var items: [(Int, String)] = []
            for r in batch.records {
                items.append(
                    (r.lineNumber, "\(r.lineNumber) " + DeclarationField.allCases.map { r.string($0) }.joined(separator: "|")))
            }
            for e in batch.errors { items.append((e.lineNumber, "\(e.lineNumber) error: \(e.message)")) }
            out += items.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Cuts `input` arriving in slices of random sizes into parts of about `target` bytes, and reads each part.
    static func readInParts(_ input: [UInt8], target: Int, random: inout SplitMix64) throws -> (
        lines: [String], chunks: [DeclarationChunker.Chunk]
    ) {
        var chunker = DeclarationChunker(target: target)
        var chunks: [DeclarationChunker.Chunk] = []
        var offset = 0
        while offset < input.count {
            let n = min(input.count - offset, 1 + Int(random.next() % 90_000))
            chunks += try chunker.append(input[offset..<(offset + n)])
            offset += n
        }
        chunks += try chunker.finish()
        #expect(chunker.receivedBytes == input.count)
        #expect(chunks.reduce(0) { $0 + $1.bytes.count } + chunker.header.count == input.count)
        var lines: [String] = []
        for chunk in chunks {
            var reader = chunker.reader(for: chunk)
            let part = try read(&reader)
            #expect(part.count == chunk.records + chunk.errors)
            lines += part
        }
        #expect(chunker.records + chunker.errors == lines.count)
        return (lines, chunks)
    }

    /// A CSV file of awkward but real lines: quoted commas, doubled quotes, line breaks inside quotes, inch marks,
    /// CRLF, blank lines, broken quotes, bad UTF-8, too many fields.
    static func awkwardCSV(lines: Int, random: inout SplitMix64, bom: Bool) -> [UInt8] {
        var out: [UInt8] = bom ? [0xEF, 0xBB, 0xBF] : []
        out += Array("line_id,hs_code,description,origin\n".utf8)
        for n in 0..<lines {
            let text: String
            switch random.next() % 14 {
            case 0: text = "L\(n),2903.71,\"R-22, refrigerant gas\",CN\n"
            case 1: text = "L\(n),0508.00,\"carved \"\"ivory\"\" beads\",NG\r\n"
            case 2: text = "L\(n),4403.49,\"rosewood logs\nsecond line of the description\",BR\n"
            case 3: text = "L\(n),7306.30,12\" steel pipe,DE\n"
            case 4: text = "\n"
            case 5: text = "L\(n),3808.91,\"closed\" then text,IN\n"
            case 6: text = "L\(n),2903.71,too,many,fields,here\n"
            case 7: text = "L\(n),\"3824.\r\n78\",\"blend\r\n\r\nR-404A\",TR\r\n"
            case 8: text = "\"L\(n)\",,\"pangolin scales\",CM\n"
            case 9: text = "L\(n),6109.10,cotton t-shirts,BD\n"
            case 10: text = "L\(n),9999.99,\"a quote that opens and never closes,XX\n"
            case 11:
                out += Array("L\(n),2903.71,bad byte ".utf8) + [0xC3, 0x28] + Array(" here,CN\n".utf8)
                continue
            case 12: text = "L\(n),0301.99,\"" + String(repeating: "x", count: Int(random.next() % 3_000)) + "\",VN\n"
            default: text = "L\(n),2812.10,phosgene,,\n"
            }
            out += Array(text.utf8)
        }
        if random.next() % 2 == 0 { out.removeLast() }  // with or without a final line break
        return out
    }

    @Test("CSV in parts reads as the whole file, for any slicing and part size", arguments: [1, 2, 3, 4])
    func csvParts(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let input = Self.awkwardCSV(lines: 30_000, random: &random, bom: seed % 2 == 0)
        var whole = DeclarationReader(source: MemorySource(input))
        let expected = try Self.read(&whole)
        for target in [1, 5_000, 100_000, 3 << 20] {
            let (lines, chunks) = try Self.readInParts(input, target: target, random: &random)
            #expect(lines == expected, "target \(target)")
            if target <= 100_000 { #expect(chunks.count > 3, "cut while arriving, not only at the end") }
            if target == 5_000 { #expect(chunks.contains { !$0.tail.isEmpty }, "a part judged by what follows it") }
        }
    }

    @Test("JSON Lines in parts reads as the whole file")
    func jsonlParts() throws {
        var random = SplitMix64(seed: 11)
        var input: [UInt8] = [0xEF, 0xBB, 0xBF]
        for n in 0..<40_000 {
            switch random.next() % 5 {
            case 0: input += Array("{\"line_id\":\"J\(n)\",\"description\":\"R-22 \\\"gas\\\"\"}\n".utf8)
            case 1: input += Array("\n".utf8)
            case 2: input += Array("{\"line_id\":\"J\(n)\",\"description\":\"broken\n".utf8)
            case 3: input += Array("{\"line_id\":\"J\(n)\"}\r\n".utf8)
            default: input += Array("{\"line_id\":\"J\(n)\",\"hs_code\":\"0508.00\",\"description\":\"ivory\"}\n".utf8)
            }
        }
        var whole = DeclarationReader(source: MemorySource(input))
        let expected = try Self.read(&whole)
        let (lines, chunks) = try Self.readInParts(input, target: 20_000, random: &random)
        #expect(lines == expected)
        #expect(chunks.count > 10)
    }

    @Test("An unusable file is refused as the reader refuses it; an empty one too")
    func unusable() throws {
        for text in ["[]", "", "  \n\n", "name,colour\nx,red\n", "line_id,line_id,description\n1,2,3\n"] {
            var chunker = DeclarationChunker(target: 10)
            #expect(throws: InputError.self, "\(text)") {
                _ = try chunker.append(Array(text.utf8))
                _ = try chunker.finish()
            }
        }
        var chunker = DeclarationChunker(target: 10)
        #expect(try chunker.append(Array("line_id,description\n".utf8)).isEmpty)
        #expect(try chunker.finish().isEmpty)
    }
}
