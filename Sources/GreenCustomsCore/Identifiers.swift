import Foundation

/// A Chemical Abstracts Service registry number, `NNNNNNN-NN-N`, whose last digit is a check digit.
public struct CASNumber: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The canonical text: no leading zeros, two dashes.
    public let text: String

    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed(String)
        case checkDigit(String, expected: Int)

        public var description: String {
            switch self {
            case .malformed(let s): "\"\(s)\" is not a CAS number (expected digits in the form NNNNNNN-NN-N)"
            case .checkDigit(let s, let expected):
                "\"\(s)\" has a wrong CAS check digit (expected \(expected))"
            }
        }
    }

    /// Parses and verifies a CAS number; accepts leading zeros and surrounding spaces.
    public init(validating raw: some StringProtocol) throws(Problem) {
        let trimmed = raw.trimmingASCIISpaces()
        let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count <= 10, parts[1].count == 2, parts[2].count == 1,
            parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) })
        else { throw .malformed(String(trimmed)) }
        var first = String(parts[0].drop(while: { $0 == "0" }))
        guard first.count <= 7 else { throw .malformed(String(trimmed)) }
        if first.count < 2 { first = String(repeating: "0", count: 2 - first.count) + first }
        let digits = Array(first + parts[1])
        let expected = CASNumber.checkDigit(of: digits)
        guard Int(String(parts[2])) == expected else { throw .checkDigit(String(trimmed), expected: expected) }
        text = "\(first)-\(parts[1])-\(parts[2])"
    }

    public init?(_ raw: some StringProtocol) {
        guard let value = try? CASNumber(validating: raw) else { return nil }
        self = value
    }

    /// True if the text has the shape of a CAS number, whatever its check digit.
    public static func looksLikeCAS(_ raw: some StringProtocol) -> Bool {
        let parts = raw.trimmingASCIISpaces().split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && (2...10).contains(parts[0].count) && parts[1].count == 2 && parts[2].count == 1
            && parts.allSatisfy { $0.allSatisfy(\.isASCIIDigit) }
    }

    static func checkDigit(of digits: [Character]) -> Int {
        var sum = 0
        for (offset, ch) in digits.reversed().enumerated() {
            sum += (offset + 1) * Int(ch.asciiValue! - 48)
        }
        return sum % 10
    }

    public var description: String { text }
    public static func < (a: CASNumber, b: CASNumber) -> Bool { a.text < b.text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do { self = try CASNumber(validating: raw) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// A Harmonized System code: a 6-digit HS 2022 subheading, or a longer national tariff line (8–12 digits)
/// whose first six digits are the subheading. Dots and spaces in the input are ignored.
public struct HSCode: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The digits only, 6 to 12 of them.
    public let digits: String

    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let s):
                "\"\(s)\" is not an HS code (expected a 6-digit subheading such as 2903.71, or a national code of 8–12 digits)"
            }
        }
    }

    public init(validating raw: some StringProtocol) throws(Problem) {
        let digits = HSCode.stripSeparators(raw)
        guard let digits, (6...12).contains(digits.count), let chapter = Int(digits.prefix(2)),
            (1...97).contains(chapter)
        else { throw .malformed(String(raw.trimmingASCIISpaces())) }
        self.digits = digits
    }

    public init?(_ raw: some StringProtocol) {
        guard let value = try? HSCode(validating: raw) else { return nil }
        self = value
    }

    /// The digits of the input if it is made of digits, dots and spaces only; nil otherwise.
    public static func stripSeparators(_ raw: some StringProtocol) -> String? {
        var out = ""
        for ch in raw.trimmingASCIISpaces() {
            if ch.isASCIIDigit { out.append(ch) } else if ch != "." && ch != " " { return nil }
        }
        return out.isEmpty ? nil : out
    }

    /// The HS 2022 subheading, six digits.
    public var subheading: String { String(digits.prefix(6)) }
    /// The 4-digit heading.
    public var heading: String { String(digits.prefix(4)) }
    /// The subheading written as the WCO does: `2903.71`.
    public var formatted: String {
        let d = Array(digits)
        var s = String(d[0..<4]) + "." + String(d[4..<6])
        if d.count > 6 { s += "." + String(d[6...]) }
        return s
    }
    public var description: String { formatted }
    public static func < (a: HSCode, b: HSCode) -> Bool { a.digits < b.digits }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do { self = try HSCode(validating: raw) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(formatted)
    }
}

/// An ASHRAE Standard 34 refrigerant designation such as `R-22`, `R-410A`, `R-134a`, `R-1234ze(E)`, `R-E170`.
/// Officers meet them written `R22`, `r 22`, `HCFC-22`, `HFC 134a`, `HFO-1234yf`: all parse to the same value.
public struct ASHRAEDesignation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// As ASHRAE writes it, e.g. `R-134a`.
    public let text: String
    /// The spelling-independent key: `R` followed by the designation, upper case, without dashes, spaces or
    /// parentheses (`R134A`, `R4310MEE`, `R1234ZEE`).
    public let key: String

    static let prefixes = ["REFRIGERANT", "HCFO", "HCFC", "HBFC", "HFO", "HFC", "CFC", "PFC", "HC", "FC", "R"]

    /// Parses a designation written as in the standard (`R-…`) or with a chemical-class prefix.
    public init?(_ raw: some StringProtocol) {
        let trimmed = raw.trimmingASCIISpaces()
        guard !trimmed.isEmpty else { return nil }
        let upper = trimmed.uppercased()
        var rest: Substring?
        for prefix in ASHRAEDesignation.prefixes where upper.hasPrefix(prefix) {
            rest = Substring(trimmed.dropFirst(prefix.count))
            break
        }
        guard var body = rest else { return nil }
        while let f = body.first, f == "-" || f == " " || f == "_" { body = body.dropFirst() }
        guard ASHRAEDesignation.isDesignationBody(body) else { return nil }
        text = "R-" + body
        key = ASHRAEDesignation.key(of: body)
    }

    /// The body after `R-`: an optional `C`/`E` prefix, digits, and letters, digits, `-` or `(E)`/`(Z)` after them.
    static func isDesignationBody(_ body: Substring) -> Bool {
        var iterator = body.makeIterator()
        var sawDigit = false
        var index = 0
        var previous: Character = " "
        while let ch = iterator.next() {
            defer { index += 1; previous = ch }
            if ch.isASCIIDigit { sawDigit = true; continue }
            if index == 0, ch == "C" || ch == "E" || ch == "c" || ch == "e" { continue }
            guard sawDigit else { return false }
            if ch.isASCIILetter || ch == "(" || ch == ")" { continue }
            if ch == "-" && previous.isASCIIDigit { continue }
            return false
        }
        return sawDigit
    }

    static func key(of body: some StringProtocol) -> String {
        var key = "R"
        for ch in body where ch.isASCIIDigit || ch.isASCIILetter { key.append(Character(ch.uppercased())) }
        return key
    }

    public var description: String { text }
    public static func == (a: ASHRAEDesignation, b: ASHRAEDesignation) -> Bool { a.key == b.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = ASHRAEDesignation(raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ASHRAE designation: \(raw)")
        }
        self = value
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// A Basel Convention code: Annex I/II categories `Y1`–`Y49`, Annex VIII `A1010`…, Annex IX `B1010`…,
/// Annex III hazard characteristics `H1`…`H13` (with a decimal, e.g. `H6.1`).
public struct BaselCode: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum List: String, Sendable, Codable {
        case y = "Y", a = "A", b = "B", h = "H"
    }
    public let text: String
    public var list: List { List(rawValue: String(text.prefix(1)))! }

    public init?(_ raw: some StringProtocol) {
        var s = raw.trimmingASCIISpaces().uppercased().replacingOccurrences(of: " ", with: "")
        guard let first = s.first else { return nil }
        s = s.replacingOccurrences(of: "-", with: "")
        let body = s.dropFirst()
        switch first {
        case "Y":
            guard let n = Int(body), (1...49).contains(n), body.first != "0" else { return nil }
        case "A", "B":
            guard body.count == 4, let n = Int(body), (1010...4999).contains(n) else { return nil }
        case "H":
            let parts = body.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let n = Int(parts[0]), (1...13).contains(n),
                parts.count == 1 || (parts[1].count == 1 && parts[1].allSatisfy(\.isASCIIDigit))
            else { return nil }
        default:
            return nil
        }
        text = s
    }

    public var description: String { text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = BaselCode(raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a Basel code: \(raw)")
        }
        self = value
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// An OECD unique identifier for a transformation event (`MON-ØØ81Ø-6`): a developer code of 2–3 letters, an
/// event code of 5–6 letters or digits, and a verification digit. The OECD writes zero as `Ø`; officers type `0`
/// or `O`-less zeros: both are the same identifier here.
public struct LMOIdentifier: Hashable, Sendable, Codable, CustomStringConvertible {
    /// As the OECD writes it, with `Ø` for zero.
    public let text: String
    /// Upper case with `0` for `Ø`, used for matching.
    public let key: String

    public init?(_ raw: some StringProtocol) {
        var key = ""
        for ch in raw.trimmingASCIISpaces() {
            switch ch {
            case "Ø", "ø", "∅", "Ф": key.append("0")
            case "–", "—", "‐", " ": key.append("-")
            default: key.append(contentsOf: ch.uppercased())
            }
        }
        let parts = key.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3,
            (2...3).contains(parts[0].count), parts[0].allSatisfy(\.isASCIILetter),
            (5...6).contains(parts[1].count), parts[1].allSatisfy({ $0.isASCIIDigit || $0.isASCIILetter }),
            parts[2].count == 1, parts[2].allSatisfy(\.isASCIIDigit)
        else { return nil }
        self.key = key
        self.text = key.replacingOccurrences(of: "0", with: "Ø")
    }

    public var description: String { text }
    public static func == (a: LMOIdentifier, b: LMOIdentifier) -> Bool { a.key == b.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = LMOIdentifier(raw) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an OECD unique identifier: \(raw)")
        }
        self = value
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// An ISO 3166-1 alpha-2 country code.
public struct CountryCode: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let text: String
    public init?(_ raw: some StringProtocol) {
        let s = raw.trimmingASCIISpaces().uppercased()
        guard s.count == 2, s.allSatisfy(\.isASCIILetter) else { return nil }
        text = s
    }
    public var description: String { text }
    public static func < (a: CountryCode, b: CountryCode) -> Bool { a.text < b.text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = CountryCode(raw) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an ISO 3166-1 alpha-2 code: \(raw)")
        }
        self = value
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

extension Character {
    @inlinable var isASCIIDigit: Bool { asciiValue.map { $0 >= 48 && $0 <= 57 } ?? false }
    @inlinable var isASCIILetter: Bool {
        asciiValue.map { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) } ?? false
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks.
    public func trimmingASCIISpaces() -> Substring {
        let s = Substring(self)
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{00A0}" }
        guard let start = s.firstIndex(where: { !isSpace($0) }) else { return s[s.endIndex...] }
        let end = s.lastIndex(where: { !isSpace($0) })!
        return s[start...end]
    }
}
