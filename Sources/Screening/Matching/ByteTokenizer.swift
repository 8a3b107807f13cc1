/// Splits UTF-8 text into normalised word tokens without building strings: ASCII letters are lower-cased, Latin
/// letters with accents (é, ñ, ç, ø, œ…) are folded to their base letters, digits are kept, and every other ASCII
/// byte separates words. Letters of other scripts (Cyrillic, Chinese, Arabic…) stay as they are, so their words are
/// still tokens. Each token carries a 64-bit FNV-1a hash of its normalised form with plural endings stemmed the way
/// `SearchText.stem` does, so phrase matching compares integers.
public enum ByteTokenizer {
    /// One word of the input: where it is (byte offsets), and the hashes of its normalised form.
    public struct Token: Equatable, Sendable {
        public var start: Int
        public var end: Int
        /// The hash after stemming a plural ending.
        public var hash: UInt64
        /// The hash before stemming.
        public var exactHash: UInt64
        /// The hash before stemming, without the word's last byte (for typos across a space: "Pytho nregius").
        public var exactHashButLast: UInt64
        public var isNumber: Bool
        /// Whether punctuation that ends a phrase (`,` `;` `:` `.` `(` `)` `/`) stands between this word and the one
        /// before: a name does not run across it ("R-134a refrigerant, 12 cylinders" is not "Refrigerant 12").
        public var afterBreak: Bool = false
    }

    /// The tokens of `bytes`, in order.
    public static func tokens(_ bytes: some Collection<UInt8>) -> [Token] {
        if let result = bytes.withContiguousStorageIfAvailable({ tokens(buffer: $0) }) { return result }
        return Array(bytes).withUnsafeBufferPointer { tokens(buffer: $0) }
    }

    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// One pass, no allocation but the result: the hash of the normalised word is updated byte by byte.
    static func tokens(buffer: UnsafeBufferPointer<UInt8>) -> [Token] {
        var out: [Token] = []
        out.reserveCapacity(buffer.count / 6 + 1)
        tokenize(buffer, into: &out)
        return out
    }

    /// Appends the tokens of `buffer` to `out`, whose capacity a caller reuses from line to line.
    @inline(__always)
    static func tokenize(_ buffer: UnsafeBufferPointer<UInt8>, into out: inout [Token]) {
        var start = -1
        var allDigits = true
        var pendingBreak = false
        var startBreak = false
        var word = WordHash()
        let n = buffer.count
        var i = 0
        while i <= n {
            let b: UInt8 = i < n ? buffer[i] : 0x20
            let at = i
            var c1: UInt8 = 0
            var c2: UInt8 = 0
            var letter = true
            switch b {
            case 0x61...0x7A: c1 = b
            case 0x41...0x5A: c1 = b + 32
            case 0x30...0x39: c1 = b
            case 0xC3, 0xC4, 0xC5:
                if i + 1 < n, let folded = fold(b, buffer[i + 1]) {
                    c1 = folded.0
                    c2 = folded.1
                    i += 1
                } else {
                    c1 = b
                }
            case 0x80...0xFF: c1 = b
            case 0x2C, 0x2E:
                // A decimal point or comma inside a number ("13.6", "1,1,1,2-") is part of it.
                if allDigits && word.length > 0 && i + 1 < n && buffer[i + 1] >= 0x30 && buffer[i + 1] <= 0x39 {
                    c1 = b
                } else {
                    letter = false
                    pendingBreak = true
                }
            case 0x3B, 0x3A, 0x28, 0x29, 0x2F, 0x5B, 0x5D, 0x7C, 0x0A:
                letter = false
                pendingBreak = true
            default: letter = false
            }
            if letter {
                if start < 0 {
                    start = at
                    startBreak = pendingBreak
                    pendingBreak = false
                }
                if (b < 0x30 || b > 0x39) && b != 0x2C && b != 0x2E { allDigits = false }
                word.push(c1)
                if c2 != 0 { word.push(c2) }
            } else {
                if word.length > 0 {
                    let stemmed = allDigits ? word.h : word.stemmed
                    out.append(
                        Token(
                            start: start, end: i, hash: stemmed, exactHash: word.h, exactHashButLast: word.h1,
                            isNumber: allDigits, afterBreak: startBreak))
                }
                start = -1
                allDigits = true
                word = WordHash()
            }
            i += 1
        }
    }

    /// The FNV-1a hash of a word being read, with the hashes of its prefixes lacking the last one, two and three
    /// bytes and its last four bytes, so a plural ending can be stemmed without a second pass.
    struct WordHash {
        var h = offsetBasis
        var h1 = offsetBasis
        var h2 = offsetBasis
        var h3 = offsetBasis
        var last: UInt32 = 0
        var length = 0

        @inline(__always)
        mutating func push(_ c: UInt8) {
            h3 = h2
            h2 = h1
            h1 = h
            h = (h ^ UInt64(c)) &* prime
            last = last << 8 | UInt32(c)
            length += 1
        }

        /// The hash with a plural ending removed (-s, -ies → -y, -xes/-shes/-ches), as `SearchText.stemWord`.
        var stemmed: UInt64 {
            let b1 = UInt8(last & 0xFF)
            let b2 = UInt8(last >> 8 & 0xFF)
            let b3 = UInt8(last >> 16 & 0xFF)
            let b4 = UInt8(last >> 24 & 0xFF)
            guard length >= 4, b1 == 0x73 else { return h }
            if b2 == 0x73 || b2 == 0x75 || b2 == 0x69 { return h }  // -ss -us -is
            if ByteTokenizer.isInvariant(h) { return h }
            if length > 4, b2 == 0x65, b3 == 0x69 { return (h3 ^ 0x79) &* prime }  // -ies → -y
            if length > 4, b2 == 0x65, b3 == 0x78 || (b3 == 0x68 && (b4 == 0x73 || b4 == 0x63)) { return h2 }
            return h1
        }
    }

    /// The hashes of plural-looking words that are not plurals ("species", "gas"): a handful, compared one by one
    /// (cheaper than hashing the hash into a `Set`).
    static let invariantHashes: [UInt64] = SearchText.invariant.sorted().map { hash(Array($0.utf8)[...]) }

    @inline(__always)
    static func isInvariant(_ h: UInt64) -> Bool {
        for k in invariantHashes where k == h { return true }
        return false
    }

    /// Folds the Latin-1 supplement (C3 xx) and common Latin Extended-A (C4/C5 xx) letters to one or two ASCII
    /// letters (the second 0 when there is one).
    @inline(__always)
    static func fold(_ lead: UInt8, _ b: UInt8) -> (UInt8, UInt8)? {
        switch (lead, b) {
        case (0xC3, 0x80...0x85), (0xC3, 0xA0...0xA5): return (0x61, 0)  // à á â ã ä å
        case (0xC3, 0x86), (0xC3, 0xA6): return (0x61, 0x65)  // æ
        case (0xC3, 0x87), (0xC3, 0xA7): return (0x63, 0)  // ç
        case (0xC3, 0x88...0x8B), (0xC3, 0xA8...0xAB): return (0x65, 0)  // è é ê ë
        case (0xC3, 0x8C...0x8F), (0xC3, 0xAC...0xAF): return (0x69, 0)  // ì í î ï
        case (0xC3, 0x91), (0xC3, 0xB1): return (0x6E, 0)  // ñ
        case (0xC3, 0x92...0x96), (0xC3, 0x98), (0xC3, 0xB2...0xB6), (0xC3, 0xB8): return (0x6F, 0)  // ò ó ô õ ö ø
        case (0xC3, 0x99...0x9C), (0xC3, 0xB9...0xBC): return (0x75, 0)  // ù ú û ü
        case (0xC3, 0x9D), (0xC3, 0xBD), (0xC3, 0xBF): return (0x79, 0)  // ý ÿ
        case (0xC3, 0x9F): return (0x73, 0x73)  // ß
        case (0xC5, 0x92), (0xC5, 0x93): return (0x6F, 0x65)  // œ
        case (0xC5, 0x81), (0xC5, 0x82): return (0x6C, 0)  // ł
        case (0xC5, 0xA0), (0xC5, 0xA1): return (0x73, 0)  // š
        case (0xC5, 0xBD), (0xC5, 0xBE): return (0x7A, 0)  // ž
        case (0xC4, 0x8C), (0xC4, 0x8D): return (0x63, 0)  // č
        default: return nil
        }
    }

    /// FNV-1a, 64 bits.
    @inline(__always)
    public static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h = offsetBasis
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }
}
