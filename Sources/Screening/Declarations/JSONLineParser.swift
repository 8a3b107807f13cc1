/// Parses one JSON Lines record: an object whose values are strings, numbers, booleans, null, or (for
/// `permit_refs`) an array of strings. Known keys (any case) are kept as unescaped UTF-8; unknown keys are
/// skipped, whatever their value. Works on bytes and never traps on malformed input.
struct JSONLineParser {
    struct Failure: Error {
        var text: String
    }

    let bytes: [UInt8]
    var i: Int
    let end: Int
    /// Where the line starts in `bytes` (the reader's buffer), for column numbers in messages.
    let lineStart: Int
    var out: [UInt8] = []
    var ranges = FieldRanges()
    var depth = 0

    init(bytes: [UInt8], start: Int, end: Int) {
        self.bytes = bytes
        self.i = start
        self.lineStart = start
        self.end = end
    }

    var isBlank: Bool {
        var k = i
        while k < end {
            let b = bytes[k]
            if b != 0x20 && b != 0x09 && b != 0x0D { return false }
            k += 1
        }
        return true
    }

    mutating func parse() -> Result<([UInt8], FieldRanges), Failure> {
        do {
            skipSpace()
            if end - i >= 3, bytes[i] == 0xEF, bytes[i + 1] == 0xBB, bytes[i + 2] == 0xBF { i += 3 }
            try expect(UInt8(ascii: "{"), "a JSON object")
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    skipSpace()
                    let keyStart = out.count
                    try string(keep: true)
                    let field = DeclarationField(utf8Name: out[keyStart...])
                    if let field, ranges[field.rawValue] != 0..<0 {
                        throw Failure(text: "repeats the key \"\(String(decoding: out[keyStart...], as: UTF8.self))\"")
                    }
                    out.removeSubrange(keyStart...)
                    skipSpace()
                    try expect(UInt8(ascii: ":"), "':' after a key")
                    skipSpace()
                    let valueStart = out.count
                    try value(keep: field != nil, joinArrays: field == .permitRefs)
                    if let field { ranges[field.rawValue] = Int32(valueStart)..<Int32(out.count) }
                    skipSpace()
                    if peek() == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    try expect(UInt8(ascii: "}"), "',' or '}'")
                    break
                }
            }
            skipSpace()
            if i < end { throw Failure(text: "has text after the JSON object") }
            if out.count > DeclarationReader<MemorySource>.maximumFieldBytes * 16 {
                throw Failure(text: "is too long")
            }
            return .success((out, ranges))
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(text: "is not valid JSON"))
        }
    }

    func peek() -> UInt8? { i < end ? bytes[i] : nil }

    mutating func skipSpace() {
        while i < end, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D || bytes[i] == 0x0A { i += 1 }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard i < end, bytes[i] == byte else {
            throw Failure(text: "is not valid JSON: expected \(what) at column \(i - lineStart + 1)")
        }
        i += 1
    }

    mutating func value(keep: Bool, joinArrays: Bool) throws {
        guard let b = peek() else { throw Failure(text: "is not valid JSON: a value is missing") }
        switch b {
        case UInt8(ascii: "\""):
            try string(keep: keep)
        case UInt8(ascii: "["):
            depth += 1
            guard depth < 32 else { throw Failure(text: "nests too deeply") }
            i += 1
            skipSpace()
            var first = true
            while peek() != UInt8(ascii: "]") {
                if !first {
                    try expect(UInt8(ascii: ","), "',' or ']'")
                    skipSpace()
                    if keep && joinArrays { out.append(UInt8(ascii: ";")) }
                }
                first = false
                try value(keep: keep && joinArrays, joinArrays: false)
                skipSpace()
            }
            i += 1
            depth -= 1
        case UInt8(ascii: "{"):
            if keep { throw Failure(text: "has an object where a text value is expected") }
            depth += 1
            guard depth < 32 else { throw Failure(text: "nests too deeply") }
            i += 1
            skipSpace()
            var first = true
            while peek() != UInt8(ascii: "}") {
                if !first {
                    try expect(UInt8(ascii: ","), "',' or '}'")
                    skipSpace()
                }
                first = false
                try string(keep: false)
                skipSpace()
                try expect(UInt8(ascii: ":"), "':' after a key")
                skipSpace()
                try value(keep: false, joinArrays: false)
                skipSpace()
            }
            i += 1
            depth -= 1
        default:
            // Numbers, true, false, null: kept as written (null as nothing).
            let start = i
            while i < end, let c = peek(), c != UInt8(ascii: ","), c != UInt8(ascii: "}"), c != UInt8(ascii: "]"),
                c != 0x20, c != 0x09, c != 0x0D
            {
                i += 1
            }
            let literal = bytes[start..<i]
            guard !literal.isEmpty else { throw Failure(text: "is not valid JSON: a value is missing") }
            if literal.elementsEqual("null".utf8) { return }
            let isNumber = literal.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2B || $0 == 0x2E || $0 == 0x65 || $0 == 0x45
            }
            guard isNumber || literal.elementsEqual("true".utf8) || literal.elementsEqual("false".utf8) else {
                throw Failure(
                    text: "is not valid JSON: unexpected \"\(String(decoding: literal.prefix(20), as: UTF8.self))\"")
            }
            if keep { out.append(contentsOf: literal) }
        }
    }

    /// A JSON string, unescaped into `out` when kept; checks UTF-8 and the 64 KiB field limit.
    mutating func string(keep: Bool) throws {
        try expect(UInt8(ascii: "\""), "a string")
        let start = out.count
        var length = 0
        while true {
            guard i < end else { throw Failure(text: "is not valid JSON: a string is never closed") }
            let b = bytes[i]
            i += 1
            if b == UInt8(ascii: "\"") { break }
            length += 1
            if length > DeclarationReader<MemorySource>.maximumFieldBytes {
                throw Failure(text: "has a value over 64 KiB")
            }
            if b < 0x20 { throw Failure(text: "is not valid JSON: a control character inside a string") }
            if b != UInt8(ascii: "\\") {
                if keep { out.append(b) }
                continue
            }
            guard i < end else { throw Failure(text: "is not valid JSON: a string is never closed") }
            let e = bytes[i]
            i += 1
            let simple: UInt8? =
                switch e {
                case UInt8(ascii: "\""): 0x22
                case UInt8(ascii: "\\"): 0x5C
                case UInt8(ascii: "/"): 0x2F
                case UInt8(ascii: "b"): 0x08
                case UInt8(ascii: "f"): 0x0C
                case UInt8(ascii: "n"): 0x0A
                case UInt8(ascii: "r"): 0x0D
                case UInt8(ascii: "t"): 0x09
                default: nil
                }
            if let simple {
                if keep { out.append(simple) }
                continue
            }
            guard e == UInt8(ascii: "u") else { throw Failure(text: "is not valid JSON: a bad escape in a string") }
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard end - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                    throw Failure(text: "is not valid JSON: an unpaired surrogate in a string")
                }
                i += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw Failure(text: "is not valid JSON: an unpaired surrogate in a string")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw Failure(text: "is not valid JSON: an unpaired surrogate in a string")
            }
            if keep, let unicode = Unicode.Scalar(scalar) { out.append(contentsOf: Array(String(unicode).utf8)) }
        }
        if keep, !UTF8Validation.isValid(out, from: start) { throw Failure(text: "is not valid UTF-8") }
    }

    mutating func hex4() throws -> UInt32 {
        guard end - i >= 4 else { throw Failure(text: "is not valid JSON: a bad \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            i += 1
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw Failure(text: "is not valid JSON: a bad \\u escape")
            }
            v = v << 4 | d
        }
        return v
    }
}
