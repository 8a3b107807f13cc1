import Foundation

/// The columns of the declaration contract (CSV header names and JSON Lines keys, matched without case).
public enum DeclarationField: Int, CaseIterable, Sendable {
    case lineID, declarationID, date, direction, hsCode, description, casNumber, species, quantity, unit
    case origin, destination, exporter, importer, permitRefs

    /// The name used in files.
    public var name: String {
        switch self {
        case .lineID: "line_id"
        case .declarationID: "declaration_id"
        case .date: "date"
        case .direction: "direction"
        case .hsCode: "hs_code"
        case .description: "description"
        case .casNumber: "cas_number"
        case .species: "species"
        case .quantity: "quantity"
        case .unit: "unit"
        case .origin: "origin"
        case .destination: "destination"
        case .exporter: "exporter"
        case .importer: "importer"
        case .permitRefs: "permit_refs"
        }
    }

    /// `init(columnName:)` for a name given as UTF-8 bytes (a JSON Lines key, met on every line): the exact names are
    /// compared byte for byte first, without building a string.
    public init?(utf8Name bytes: some Collection<UInt8>) {
        let count = bytes.count
        for (field, name) in Self.utf8Names where name.count == count && name.elementsEqual(bytes) {
            self = field
            return
        }
        self.init(columnName: String(decoding: bytes, as: UTF8.self))
    }

    private static let utf8Names: [(DeclarationField, [UInt8])] = allCases.map { ($0, Array($0.name.utf8)) }

    /// Looks a column up by its name in a file, ignoring case and surrounding spaces.
    public init?(columnName: some StringProtocol) {
        let key = String(columnName).trimmingCharacters(in: .whitespaces).lowercased()
        guard let field = DeclarationField.allCases.first(where: { $0.name == key }) else { return nil }
        self = field
    }

    /// The fields of which at least one must be present for a line to be screened.
    public static let evidence: [DeclarationField] = [.hsCode, .description, .casNumber, .species]
}

/// Where each known field lies in a record's bytes, inline (no allocation per record): start and end offsets by
/// `DeclarationField.rawValue`; an absent field is `0..<0`.
public struct FieldRanges: Sendable, Equatable {
    var starts = SIMD16<Int32>()
    var ends = SIMD16<Int32>()

    public init() {}

    public subscript(field: Int) -> Range<Int32> {
        get { starts[field]..<ends[field] }
        set {
            starts[field] = newValue.lowerBound
            ends[field] = newValue.upperBound
        }
    }
}

/// One declaration line as read: its UTF-8 bytes (unescaped) and where each known field lies in them. Kept as bytes
/// so millions of lines can be screened without building strings.
public struct DeclarationRecord: Sendable {
    /// The physical line of the input the record starts on (1 is the CSV header, or the first JSON line).
    public var lineNumber: Int
    public var bytes: [UInt8]
    /// Where each field is in `bytes`.
    var ranges: FieldRanges

    public init(lineNumber: Int, bytes: [UInt8], ranges: FieldRanges) {
        self.lineNumber = lineNumber
        self.bytes = bytes
        self.ranges = ranges
    }

    /// Builds a record from field values (tests, the API).
    public init(lineNumber: Int, fields: [DeclarationField: String]) {
        var bytes: [UInt8] = []
        var ranges = FieldRanges()
        for field in DeclarationField.allCases {
            guard let value = fields[field] else { continue }
            let start = Int32(bytes.count)
            bytes += value.utf8
            ranges[field.rawValue] = start..<Int32(bytes.count)
        }
        self.init(lineNumber: lineNumber, bytes: bytes, ranges: ranges)
    }

    /// The field's bytes, without surrounding spaces.
    public func slice(_ field: DeclarationField) -> ArraySlice<UInt8> {
        let range = ranges[field.rawValue]
        var lower = Int(range.lowerBound)
        var upper = Int(range.upperBound)
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        return bytes[lower..<upper]
    }

    /// Where the field lies in `bytes`, without surrounding spaces (as `slice`, without making a slice).
    func span(_ field: DeclarationField) -> Range<Int> {
        let range = ranges[field.rawValue]
        var lower = Int(range.lowerBound)
        var upper = Int(range.upperBound)
        bytes.withUnsafeBufferPointer { b in
            while lower < upper, b[lower] == 0x20 || b[lower] == 0x09 { lower += 1 }
            while upper > lower, b[upper - 1] == 0x20 || b[upper - 1] == 0x09 { upper -= 1 }
        }
        return lower..<upper
    }

    public func has(_ field: DeclarationField) -> Bool { !slice(field).isEmpty }

    /// The field as text (it was checked to be UTF-8 when read).
    public func string(_ field: DeclarationField) -> String { String(decoding: slice(field), as: UTF8.self) }
}

/// A line that could not be read, with where and why. The line is skipped; every other line is still screened.
public struct DeclarationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var lineNumber: Int
    public var message: String

    public init(lineNumber: Int, message: String) {
        self.lineNumber = lineNumber
        self.message = message
    }

    public var description: String { "line \(lineNumber): \(message)" }
}
