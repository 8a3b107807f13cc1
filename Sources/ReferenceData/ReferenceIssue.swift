import GreenCustomsCore

/// A problem with one reference record: where it is (file, line, field) and what is wrong.
public struct ReferenceIssue: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var field: String?
    public var message: String

    public init(file: String, line: Int, field: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    /// `file:line: field: message`, the form editors and CI logs link to.
    public var description: String {
        if let field { return "\(file):\(line): \(field): \(message)" }
        return "\(file):\(line): \(message)"
    }
}

/// Reads the fields of one CSV record by column name, turning each into a typed value and collecting a
/// `ReferenceIssue` for every field that is missing or malformed.
struct RowReader {
    let table: CSVTable
    let record: CSVRecord
    var issues: [ReferenceIssue] = []

    init(table: CSVTable, record: CSVRecord) {
        self.table = table
        self.record = record
        if record.fields.count != table.header.count {
            issues.append(
                ReferenceIssue(
                    file: table.file, line: record.line,
                    message: "has \(record.fields.count) fields, the header has \(table.header.count)"))
        }
    }

    var line: Int { record.line }

    mutating func issue(_ field: String?, _ message: String) {
        issues.append(ReferenceIssue(file: table.file, line: record.line, field: field, message: message))
    }

    /// The trimmed text of a column, empty when the column or field is absent.
    func text(_ column: String) -> String {
        guard let i = table.column(column), i < record.fields.count else { return "" }
        return String(record.fields[i].trimmingASCIISpaces())
    }

    func optional(_ column: String) -> String? {
        let t = text(column)
        return t.isEmpty ? nil : t
    }

    mutating func required(_ column: String) -> String {
        let t = text(column)
        if t.isEmpty { issue(column, "is required but empty") }
        return t
    }

    func list(_ column: String) -> [String] { splitList(text(column)) }

    mutating func casNumbers(_ column: String = "cas") -> [CASNumber] {
        var out: [CASNumber] = []
        for raw in list(column) {
            do { out.append(try CASNumber(validating: raw)) } catch { issue(column, error.description) }
        }
        return out
    }

    mutating func hsCodes(_ column: String = "hs") -> [HSCode] {
        var out: [HSCode] = []
        for raw in list(column) {
            do {
                let code = try HSCode(validating: raw)
                if code.digits.count != 6 || !raw.contains(".") {
                    issue(column, "\"\(raw)\" should be written as a six-digit HS 2022 subheading, NNNN.NN")
                }
                out.append(code)
            } catch { issue(column, error.description) }
        }
        return out
    }

    mutating func date(_ column: String, earliest: CalendarDate? = nil) -> CalendarDate? {
        guard let raw = optional(column) else { return nil }
        guard let date = CalendarDate(iso: raw) else {
            issue(column, "\"\(raw)\" is not a date in the form YYYY-MM-DD")
            return nil
        }
        if let earliest, date < earliest {
            issue(column, "\(date) is before \(earliest), when this list or agreement first took effect")
        }
        if date > ReferenceValidator.latestPlausibleDate {
            issue(column, "\(date) is in the future")
        }
        return date
    }

    mutating func number(_ column: String) -> Double? {
        guard let raw = optional(column) else { return nil }
        guard let v = Double(raw), v >= 0 else {
            issue(column, "\"\(raw)\" is not a non-negative number")
            return nil
        }
        return v
    }

    mutating func oneOf(_ column: String, _ allowed: [String]) -> String {
        let t = required(column)
        if !t.isEmpty, !allowed.contains(t) {
            issue(column, "\"\(t)\" is not one of \(allowed.joined(separator: ", "))")
        }
        return t
    }

    /// The `id` column, checked for the `<regime>:<slug>` form.
    mutating func id(regime: String) -> String {
        let id = required("id")
        guard !id.isEmpty else { return id }
        let parts = id.split(separator: ":", maxSplits: 1)
        let slugOK =
            parts.count == 2 && !parts[1].isEmpty
            && parts[1].allSatisfy {
                ($0.isLowercase && $0.isASCII) || ($0.isNumber && $0.isASCII) || $0 == "-" || $0 == "."
            }
        if parts.first.map(String.init) != regime || !slugOK {
            issue("id", "\"\(id)\" must be \(regime):<slug> with a lower-case ASCII slug")
        }
        return id
    }
}
