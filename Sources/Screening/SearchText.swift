import Foundation

/// How names and queries are compared: case, accents, width and punctuation do not matter, and words are
/// separated by single spaces. "Éléphant d'Afrique", "ELEPHANT D AFRIQUE" and "éléphant-d'afrique" are equal.
public enum SearchText {
    /// Lower case, accents removed, every run of non-letters-or-digits turned into one space, trimmed.
    public static func normalize(_ text: String) -> String {
        if let ascii = normalizeASCII(text) { return ascii }
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        var out = ""
        out.reserveCapacity(folded.utf8.count)
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            let mapped: String?
            switch scalar {
            case "ß": mapped = "ss"
            case "æ": mapped = "ae"
            case "œ": mapped = "oe"
            case "ø": mapped = "o"
            case "ł": mapped = "l"
            case "đ": mapped = "d"
            default: mapped = nil
            }
            if let mapped {
                if pendingSpace, !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out += mapped
            } else if CharacterSet.alphanumerics.contains(scalar) {
                if pendingSpace, !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return out
    }

    /// The fast path for plain ASCII text (most names): bytes only, no Foundation.
    static func normalizeASCII(_ text: String) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for byte in text.utf8 {
            guard byte < 0x80 else { return nil }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if pendingSpace, !out.isEmpty { out.append(0x20) }
                pendingSpace = false
                out.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                if pendingSpace, !out.isEmpty { out.append(0x20) }
                pendingSpace = false
                out.append(byte + 32)
            default:
                pendingSpace = true
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The normalized text without spaces: "R 22", "R-22" and "R22" share the key "r22".
    public static func compact(_ normalized: String) -> String {
        normalized.replacingOccurrences(of: " ", with: "")
    }

    /// Each word reduced to a singular-looking stem, so "seahorses" finds "seahorse" and "pangolins" "pangolin".
    /// Latin endings (-us, -is, -ss) are left alone.
    public static func stem(_ normalized: String) -> String {
        normalized.split(separator: " ").map { stemWord(String($0)) }.joined(separator: " ")
    }

    static let invariant: Set<String> = ["species", "series", "aries", "caries", "rabies", "bass", "gas", "chamois"]

    static func stemWord(_ word: String) -> String {
        guard word.count >= 4, word.hasSuffix("s"), !word.hasSuffix("ss"), !word.hasSuffix("us"), !word.hasSuffix("is"),
            !invariant.contains(word)
        else { return word }
        if word.hasSuffix("ies"), word.count > 4 { return String(word.dropLast(3)) + "y" }
        if word.hasSuffix("shes") || word.hasSuffix("ches") || word.hasSuffix("xes") { return String(word.dropLast(2)) }
        return String(word.dropLast())
    }

    /// Levenshtein distance, giving up (returning `limit + 1`) once it must exceed `limit`.
    public static func editDistance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                // Transposition of two neighbouring letters counts as one edit (Damerau).
                rowMin = min(rowMin, current[j])
            }
            if rowMin > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// How many typos a name of this length tolerates: none below 6 letters ("coral" is not "goral"), one up to
    /// 9, two above.
    public static func typoAllowance(forLength length: Int) -> Int {
        switch length {
        case ..<6: 0
        case 6...9: 1
        default: 2
        }
    }
}
