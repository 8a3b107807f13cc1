/// A gzip (RFC 1952) reader with its own DEFLATE (RFC 1951) decoder, so that official exports delivered as
/// `.csv.gz` can be imported without a system zlib. It checks the CRC-32 and length stored in the trailer.
public enum Gzip {
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { "not a valid gzip file: \(message)" }

        static func tooLarge(_ limit: Int) -> Problem {
            Problem(message: "it inflates to more than \(limit >> 20) MiB, more than any real export")
        }
    }

    /// True if the bytes start with the gzip magic number.
    public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// Decompresses every member of a gzip file; refuses, as soon as it is reached, output beyond `limit` bytes.
    public static func decompress(_ bytes: [UInt8], limit: Int = .max) throws(Problem) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(bytes.count * 6, limit))
        var offset = 0
        repeat {
            offset = try member(bytes, at: offset, into: &output, limit: limit)
        } while offset + 18 <= bytes.count && bytes[offset] == 0x1F && bytes[offset + 1] == 0x8B
        return output
    }

    private static func member(_ b: [UInt8], at start: Int, into output: inout [UInt8], limit: Int) throws(Problem)
        -> Int
    {
        guard b.count - start >= 18, b[start] == 0x1F, b[start + 1] == 0x8B else {
            throw Problem(message: "missing gzip header")
        }
        guard b[start + 2] == 8 else { throw Problem(message: "unknown compression method \(b[start + 2])") }
        let flags = b[start + 3]
        var p = start + 10
        if flags & 0x04 != 0 {
            guard p + 2 <= b.count else { throw Problem(message: "truncated header") }
            p += 2 + Int(b[p]) | Int(b[p + 1]) << 8
        }
        if flags & 0x08 != 0 { while p < b.count, b[p] != 0 { p += 1 }; p += 1 }
        if flags & 0x10 != 0 { while p < b.count, b[p] != 0 { p += 1 }; p += 1 }
        if flags & 0x02 != 0 { p += 2 }
        guard p < b.count else { throw Problem(message: "truncated header") }
        let before = output.count
        var inflater = Inflater(input: b, position: p, limit: limit)
        try inflater.run(into: &output)
        var q = inflater.bytePosition
        guard q + 8 <= b.count else { throw Problem(message: "truncated trailer") }
        func le32(_ i: Int) -> UInt32 {
            UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
        }
        let crc = le32(q)
        let size = le32(q + 4)
        q += 8
        let produced = output.count - before
        guard UInt32(truncatingIfNeeded: produced) == size else { throw Problem(message: "length mismatch in trailer") }
        guard crc32(output[before...]) == crc else { throw Problem(message: "CRC-32 mismatch: the file is corrupt") }
        return q
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// A canonical Huffman code as DEFLATE defines it, decoded by counts and symbols (the approach of zlib's puff.c).
private struct Huffman {
    var counts = [Int](repeating: 0, count: 16)
    var symbols: [Int]

    init(lengths: ArraySlice<Int>) {
        symbols = [Int](repeating: 0, count: lengths.count)
        for length in lengths { counts[length] += 1 }
        var offsets = [Int](repeating: 0, count: 16)
        for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }
}

private struct Inflater {
    let input: [UInt8]
    var position: Int
    var bitBuffer: UInt32 = 0
    var bitCount = 0

    /// The most output allowed (`Gzip.decompress`'s limit).
    let limit: Int

    init(input: [UInt8], position: Int, limit: Int) {
        self.input = input
        self.position = position
        self.limit = limit
    }

    var bytePosition: Int { position }

    mutating func bits(_ need: Int) throws(Gzip.Problem) -> Int {
        while bitCount < need {
            guard position < input.count else { throw Gzip.Problem(message: "unexpected end of compressed data") }
            bitBuffer |= UInt32(input[position]) << UInt32(bitCount)
            position += 1
            bitCount += 8
        }
        let value = Int(bitBuffer & ((1 << UInt32(need)) - 1))
        bitBuffer >>= UInt32(need)
        bitCount -= need
        return value
    }

    mutating func decode(_ h: Huffman) throws(Gzip.Problem) -> Int {
        var code = 0
        var first = 0
        var index = 0
        for len in 1..<16 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        throw Gzip.Problem(message: "invalid Huffman code")
    }

    static let lengthBase = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
        6145, 8193, 12289, 16385, 24577,
    ]
    static let distExtra = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]

    static let fixed: (Huffman, Huffman) = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return (Huffman(lengths: lengths[...]), Huffman(lengths: [Int](repeating: 5, count: 30)[...]))
    }()

    mutating func run(into out: inout [UInt8]) throws(Gzip.Problem) {
        var last = 0
        repeat {
            last = try bits(1)
            switch try bits(2) {
            case 0: try stored(into: &out)
            case 1: try codes(Inflater.fixed.0, Inflater.fixed.1, into: &out)
            case 2:
                let (l, d) = try dynamicTables()
                try codes(l, d, into: &out)
            default: throw Gzip.Problem(message: "invalid block type")
            }
        } while last == 0
        bitBuffer = 0
        bitCount = 0
    }

    mutating func stored(into out: inout [UInt8]) throws(Gzip.Problem) {
        bitBuffer = 0
        bitCount = 0
        guard position + 4 <= input.count else { throw Gzip.Problem(message: "truncated stored block") }
        let len = Int(input[position]) | Int(input[position + 1]) << 8
        let nlen = Int(input[position + 2]) | Int(input[position + 3]) << 8
        guard len == (~nlen & 0xFFFF) else { throw Gzip.Problem(message: "stored block length check failed") }
        position += 4
        guard position + len <= input.count else { throw Gzip.Problem(message: "truncated stored block") }
        guard out.count + len <= limit else { throw Gzip.Problem.tooLarge(limit) }
        out.append(contentsOf: input[position..<position + len])
        position += len
    }

    mutating func dynamicTables() throws(Gzip.Problem) -> (Huffman, Huffman) {
        let nlen = try bits(5) + 257
        let ndist = try bits(5) + 1
        let ncode = try bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw Gzip.Problem(message: "bad dynamic block counts") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var lengths = [Int](repeating: 0, count: 320)
        for i in 0..<ncode { lengths[order[i]] = try bits(3) }
        let lencode = Huffman(lengths: lengths[0..<19])
        var index = 0
        while index < nlen + ndist {
            var symbol = try decode(lencode)
            if symbol < 16 {
                lengths[index] = symbol
                index += 1
            } else {
                var len = 0
                if symbol == 16 {
                    guard index > 0 else { throw Gzip.Problem(message: "repeat with no previous length") }
                    len = lengths[index - 1]
                    symbol = 3 + (try bits(2))
                } else if symbol == 17 {
                    symbol = 3 + (try bits(3))
                } else {
                    symbol = 11 + (try bits(7))
                }
                guard index + symbol <= nlen + ndist else { throw Gzip.Problem(message: "too many code lengths") }
                for _ in 0..<symbol {
                    lengths[index] = len
                    index += 1
                }
            }
        }
        guard lengths[256] != 0 else { throw Gzip.Problem(message: "no end-of-block code") }
        return (Huffman(lengths: lengths[0..<nlen]), Huffman(lengths: lengths[nlen..<(nlen + ndist)]))
    }

    mutating func codes(_ lencode: Huffman, _ distcode: Huffman, into out: inout [UInt8]) throws(Gzip.Problem) {
        while true {
            var symbol = try decode(lencode)
            if symbol < 256 {
                guard out.count < limit else { throw Gzip.Problem.tooLarge(limit) }
                out.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                symbol -= 257
                guard symbol < 29 else { throw Gzip.Problem(message: "invalid length symbol") }
                let len = Inflater.lengthBase[symbol] + (try bits(Inflater.lengthExtra[symbol]))
                let dsym = try decode(distcode)
                guard dsym < 30 else { throw Gzip.Problem(message: "invalid distance symbol") }
                let dist = Inflater.distBase[dsym] + (try bits(Inflater.distExtra[dsym]))
                guard dist <= out.count else { throw Gzip.Problem(message: "distance too far back") }
                guard out.count + len <= limit else { throw Gzip.Problem.tooLarge(limit) }
                let from = out.count - dist
                for k in 0..<len { out.append(out[from + k]) }
            }
        }
    }
}
