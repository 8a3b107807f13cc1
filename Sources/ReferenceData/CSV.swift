import GreenCustomsCore

/// A CSV problem at a place in a file.
public struct CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
}

/// One record of a CSV file with the line it starts on (1-based; the header is line 1).
public struct CSVRecord: Sendable {
    public var line: Int
    public var fields: [String]
}

/// An RFC 4180 CSV file read whole: the header, and the records after it.
///
/// Reads bytes, not `String`s, so a 40 MB export parses in well under a second. Quoted fields may contain commas,
/// doubled quotes and line breaks; CRLF and LF line ends are both accepted; a UTF-8 byte-order mark is skipped.
/// Bad UTF-8, an unterminated quote or stray text after a closing quote is an error naming the line.
public struct CSVTable: Sendable {
    public var file: String
    public var header: [String]
    public var records: [CSVRecord]
    private var index: [String: Int]

    public init(bytes: [UInt8], file: String) throws(CSVError) {
        self.file = file
        var all = try CSVTable.parse(bytes, file: file)
        guard !all.isEmpty else { throw CSVError(file: file, line: 1, message: "the file is empty (no header row)") }
        let headerRecord = all.removeFirst()
        header = headerRecord.fields.map { String($0.trimmingASCIISpaces()) }
        records = all
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() where index[name.lowercased()] == nil { index[name.lowercased()] = i }
        self.index = index
    }

    /// The position of a column, by case-insensitive name.
    public func column(_ name: String) -> Int? { index[name.lowercased()] }

    /// The columns of `required` that the header lacks.
    public func missingColumns(_ required: [String]) -> [String] { required.filter { column($0) == nil } }

    static func parse(_ bytes: [UInt8], file: String) throws(CSVError) -> [CSVRecord] {
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var i = 0
        let n = bytes.count
        if n >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var afterQuote = false

        func finishField() throws(CSVError) {
            guard let s = String(validating: field, as: UTF8.self) else {
                throw CSVError(file: file, line: line, message: "field \(fields.count + 1) is not valid UTF-8")
            }
            fields.append(s)
            field.removeAll(keepingCapacity: true)
            afterQuote = false
        }
        func finishRecord() throws(CSVError) {
            try finishField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(CSVRecord(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }

        while i < n {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 2
                        continue
                    }
                    inQuotes = false
                    afterQuote = true
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: ","):
                try finishField()
            case UInt8(ascii: "\n"):
                try finishRecord()
                line += 1
                recordLine = line
            case UInt8(ascii: "\r"):
                if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\n") { break }
                try finishRecord()
                line += 1
                recordLine = line
            case UInt8(ascii: "\""):
                if field.isEmpty && !afterQuote {
                    inQuotes = true
                } else {
                    throw CSVError(
                        file: file, line: line,
                        message:
                            "field \(fields.count + 1) has a quote inside an unquoted field (quote the whole field and double the quote)"
                    )
                }
            default:
                if afterQuote {
                    throw CSVError(
                        file: file, line: line,
                        message: "field \(fields.count + 1) has text after its closing quote")
                }
                field.append(b)
            }
            i += 1
        }
        if inQuotes {
            throw CSVError(
                file: file, line: recordLine, message: "a quoted field starting on this line is never closed")
        }
        if !field.isEmpty || !fields.isEmpty || afterQuote { try finishRecord() }
        return records
    }
}

/// Splits a multi-valued field (`a | b | c`) into its trimmed, non-empty values.
public func splitList(_ field: String, separator: Character = "|") -> [String] {
    field.split(separator: separator).map { String($0.trimmingASCIISpaces()) }.filter { !$0.isEmpty }
}
