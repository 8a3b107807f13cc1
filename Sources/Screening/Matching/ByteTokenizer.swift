/// Splits UTF-8 text into normalised word tokens without building strings: ASCII letters are lower-cased, Latin
/// letters with accents (é, ñ, ç, ø, œ…) are folded to their base letters, digits are kept, and every other ASCII
/// byte separates words. Letters of other scripts (Cyrillic, Chinese, Arabic…) stay as they are, so their words are
/// still tokens. Each token carries a 64-bit hash of its normalised form (with plural endings stemmed the way
/// `SearchText.stem` does), so phrase matching compares integers.
public enum ByteTokenizer {
    /// One word of the input: where it is, and the hash of its normalised, stemmed form.
    public struct Token: Equatable, Sendable {
        public var start: Int
        public var end: Int
        public var hash: UInt64
        /// The hash before stemming, for tokens where the distinction matters (identifiers).
        public var exactHash: UInt64
        public var isNumber: Bool
    }

    /// The tokens of `bytes`, in order.
    public static func tokens(_ bytes: some Collection<UInt8>) -> [Token] {
        var out: [Token] = []
        var word: [UInt8] = []
        word.reserveCapacity(32)
        var start = -1
        var allDigits = true
        var index = 0
        var pending: UInt8 = 0  // first byte of a two-byte sequence
        var pendingIndex = 0

        func flush(_ end: Int) {
            if !word.isEmpty {
                let exact = hash(word[...])
                let stemmed = stemmedHash(word, exact: exact, isNumber: allDigits)
                out.append(Token(start: start, end: end, hash: stemmed, exactHash: exact, isNumber: allDigits))
            }
            word.removeAll(keepingCapacity: true)
            start = -1
            allDigits = true
        }

        for b in bytes {
            defer { index += 1 }
            if pending != 0 {
                let folded = fold(pending, b)
                if start < 0 { start = pendingIndex }
                allDigits = false
                if let folded {
                    word.append(contentsOf: folded)
                } else {
                    word.append(pending)
                    word.append(b)
                }
                pending = 0
                continue
            }
            switch b {
            case 0x61...0x7A:
                if start < 0 { start = index }
                allDigits = false
                word.append(b)
            case 0x41...0x5A:
                if start < 0 { start = index }
                allDigits = false
                word.append(b + 32)
            case 0x30...0x39:
                if start < 0 { start = index }
                word.append(b)
            case 0xC3, 0xC5, 0xC4:
                pending = b
                pendingIndex = index
            case 0x80...0xFF:
                // Other scripts: part of the word as they are.
                if start < 0 { start = index }
                allDigits = false
                word.append(b)
            default:
                flush(index)
            }
        }
        if pending != 0 { word.append(pending) }
        flush(index)
        return out
    }

    /// Folds the Latin-1 supplement (C3 xx) and common Latin Extended-A (C4/C5 xx) letters to ASCII.
    @inline(__always)
    static func fold(_ lead: UInt8, _ b: UInt8) -> [UInt8]? {
        switch (lead, b) {
        case (0xC3, 0x80...0x85), (0xC3, 0xA0...0xA5): return [0x61]  // à á â ã ä å
        case (0xC3, 0x86), (0xC3, 0xA6): return [0x61, 0x65]  // æ
        case (0xC3, 0x87), (0xC3, 0xA7): return [0x63]  // ç
        case (0xC3, 0x88...0x8B), (0xC3, 0xA8...0xAB): return [0x65]  // è é ê ë
        case (0xC3, 0x8C...0x8F), (0xC3, 0xAC...0xAF): return [0x69]  // ì í î ï
        case (0xC3, 0x91), (0xC3, 0xB1): return [0x6E]  // ñ
        case (0xC3, 0x92...0x96), (0xC3, 0x98), (0xC3, 0xB2...0xB6), (0xC3, 0xB8): return [0x6F]  // ò ó ô õ ö ø
        case (0xC3, 0x99...0x9C), (0xC3, 0xB9...0xBC): return [0x75]  // ù ú û ü
        case (0xC3, 0x9D), (0xC3, 0xBD), (0xC3, 0xBF): return [0x79]  // ý ÿ
        case (0xC3, 0x9F): return [0x73, 0x73]  // ß
        case (0xC5, 0x92), (0xC5, 0x93): return [0x6F, 0x65]  // œ
        case (0xC5, 0x81), (0xC5, 0x82): return [0x6C]  // ł
        case (0xC5, 0xA0), (0xC5, 0xA1): return [0x73]  // š
        case (0xC5, 0xBD), (0xC5, 0xBE): return [0x7A]  // ž
        case (0xC4, 0x8C), (0xC4, 0x8D): return [0x63]  // č
        default: return nil
        }
    }

    /// FNV-1a, 64 bits.
    @inline(__always)
    public static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// The hash of the word with a plural ending removed, matching `SearchText.stemWord`.
    static func stemmedHash(_ word: [UInt8], exact: UInt64, isNumber: Bool) -> UInt64 {
        let n = word.count
        guard !isNumber, n >= 4, word[n - 1] == 0x73 else { return exact }  // s
        let previous = word[n - 2]
        if previous == 0x73 || previous == 0x75 || previous == 0x69 { return exact }  // -ss -us -is
        if SearchText.invariantBytes.contains(word) { return exact }
        if n > 4, previous == 0x65, word[n - 3] == 0x69 {  // -ies → -y
            return hash((word[0..<(n - 3)] + [0x79])[...])
        }
        if previous == 0x65, n > 4,
            (word[n - 3] == 0x78 || (word[n - 3] == 0x68 && (word[n - 4] == 0x73 || word[n - 4] == 0x63)))
        {
            return hash(word[0..<(n - 2)])  // -xes, -shes, -ches
        }
        return hash(word[0..<(n - 1)])
    }
}

extension SearchText {
    static let invariantBytes: Set<[UInt8]> = Set(invariant.map { Array($0.utf8) })
}
