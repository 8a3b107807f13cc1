import GreenCustomsCore

/// Finds identifiers written inside free text: CAS numbers (with their check digit verified), ASHRAE refrigerant
/// designations in the spellings traders use ("R-22", "R22", "R 410A", "HCFC-22", "HFC 134a", "R-1234yf"), and
/// OECD unique identifiers of LMOs ("MON-ØØ81Ø-6", "MON-00810-6"). Works on bytes; every match carries its byte range
/// so it can be shown as evidence.
public enum IdentifierScanner {
    public enum Kind: Equatable, Sendable {
        /// A CAS number; `valid` is false when its check digit is wrong.
        case cas(String, valid: Bool)
        /// An ASHRAE designation, by its spelling-independent key (`R410A`).
        case ashrae(key: String)
        /// An OECD unique identifier, by its key (`MON-00810-6`).
        case lmo(key: String)
    }

    public struct Found: Equatable, Sendable {
        public var kind: Kind
        public var start: Int
        public var end: Int
    }

    /// Chemical-class prefixes of refrigerant designations, longest first, lower case.
    static let prefixes: [[UInt8]] = ["hcfo", "hcfc", "hbfc", "hfo", "hfc", "cfc", "pfc", "hc", "fc", "r"].map {
        Array($0.utf8)
    }

    public static func scan(_ text: some Collection<UInt8>) -> [Found] {
        if let found = text.withContiguousStorageIfAvailable({ scan(buffer: $0) }) { return found }
        return Array(text).withUnsafeBufferPointer { scan(buffer: $0) }
    }

    static func scan(buffer bytes: UnsafeBufferPointer<UInt8>) -> [Found] {
        var found: [Found] = []
        var i = 0
        let n = bytes.count
        @inline(__always) func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLetter(b) }
        while i < n {
            // Only at the start of a word.
            if i > 0 && isAlnum(bytes[i - 1]) {
                i += 1
                continue
            }
            if isDigit(bytes[i]), let cas = scanCAS(bytes, at: i) {
                found.append(cas)
                i = cas.end
                continue
            }
            if isLetter(bytes[i]) {
                // Identifiers written with letters carry digits in the word or right after it ("R-22", "HCFC 22",
                // "MON-ØØ81Ø-6"); other words are skipped whole.
                var j = i
                while j < n, isLetter(bytes[j]) { j += 1 }
                let digitFollows =
                    j < n
                    && (isDigit(bytes[j]) || bytes[j] == 0x2D || bytes[j] >= 0x80
                        || (bytes[j] == 0x20 && j + 1 < n && isDigit(bytes[j + 1])))
                if !digitFollows {
                    i = j
                    continue
                }
                if let lmo = scanLMO(bytes, at: i) {
                    found.append(lmo)
                    i = lmo.end
                    continue
                }
                if let ashrae = scanASHRAE(bytes, at: i) {
                    found.append(ashrae)
                    i = ashrae.end
                    continue
                }
            }
            i += 1
        }
        return found
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    /// `NNNNNNN-NN-N` with 2–7 digits first, not followed by another digit or letter.
    static func scanCAS(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Found? {
        var i = start
        while i < b.count, isDigit(b[i]), i - start < 8 { i += 1 }
        let first = i - start
        guard (2...7).contains(first), i + 5 <= b.count, b[i] == 0x2D, isDigit(b[i + 1]), isDigit(b[i + 2]),
            b[i + 3] == 0x2D, isDigit(b[i + 4])
        else { return nil }
        let end = i + 5
        if end < b.count, isDigit(b[end]) || isLetter(b[end]) { return nil }
        let text = String(decoding: b[start..<end], as: UTF8.self)
        let valid = CASNumber(text) != nil
        return Found(kind: .cas(valid ? CASNumber(text)!.text : text, valid: valid), start: start, end: end)
    }

    /// A refrigerant designation: a class prefix, an optional `-` or space, digits, then letters, digits, `-` between
    /// digits (`43-10mee`) or `(E)`/`(Z)`.
    static func scanASHRAE(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Found? {
        for prefix in prefixes {
            guard start + prefix.count < b.count else { continue }
            var matches = true
            for k in 0..<prefix.count where (b[start + k] | 0x20) != prefix[k] {
                matches = false
                break
            }
            guard matches else { continue }
            var i = start + prefix.count
            if i < b.count, b[i] == 0x2D || b[i] == 0x20 { i += 1 }
            // An optional C or E before the number (R-C318, R-E170).
            if i < b.count, (b[i] | 0x20) == 0x63 || (b[i] | 0x20) == 0x65, i + 1 < b.count, isDigit(b[i + 1]) {
                i += 1
            }
            guard i < b.count, isDigit(b[i]) else { continue }
            let numberStart = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            let numberLength = i - numberStart
            // "43-10mee"
            if i + 1 < b.count, b[i] == 0x2D, isDigit(b[i + 1]) {
                i += 1
                while i < b.count, isDigit(b[i]) { i += 1 }
            }
            while i < b.count, isLetter(b[i]) || isDigit(b[i]) { i += 1 }
            if i + 2 < b.count, b[i] == 0x28, (b[i + 1] | 0x20) == 0x65 || (b[i + 1] | 0x20) == 0x7A, b[i + 2] == 0x29 {
                i += 3
            }
            if i < b.count, isLetter(b[i]) { continue }
            // Designations have at most four digits before their suffix ("R-1234yf"); longer numbers are not.
            if numberLength > 4 { continue }
            let bodyStart = start + prefix.count
            var key = "R"
            for c in b[bodyStart..<i] where isDigit(c) || isLetter(c) {
                key.append(Character(Unicode.Scalar(c & ~(isLetter(c) ? 0x20 : 0))))
            }
            return Found(kind: .ashrae(key: key), start: start, end: i)
        }
        return nil
    }

    /// `XXX-YYYYY(Y)-N`, zero written `0` or `Ø`.
    static func scanLMO(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Found? {
        var i = start
        while i < b.count, isLetter(b[i]), i - start < 4 { i += 1 }
        guard (2...3).contains(i - start), i < b.count, b[i] == 0x2D else { return nil }
        i += 1
        var key = String(decoding: b[start..<(i - 1)], as: UTF8.self).uppercased() + "-"
        var count = 0
        while i < b.count, count < 7 {
            if isDigit(b[i]) || isLetter(b[i]) {
                key.append(Character(Unicode.Scalar(isLetter(b[i]) ? b[i] & ~0x20 : b[i])))
                i += 1
            } else if i + 1 < b.count, b[i] == 0xC3, b[i + 1] == 0x98 || b[i + 1] == 0xB8 {  // Ø ø
                key.append("0")
                i += 2
            } else {
                break
            }
            count += 1
        }
        guard (5...6).contains(count), i + 1 < b.count, b[i] == 0x2D, isDigit(b[i + 1]) else { return nil }
        key += "-" + String(Character(Unicode.Scalar(b[i + 1])))
        let end = i + 2
        if end < b.count, isDigit(b[end]) || isLetter(b[end]) { return nil }
        guard LMOIdentifier(key) != nil else { return nil }
        return Found(kind: .lmo(key: key), start: start, end: end)
    }
}
