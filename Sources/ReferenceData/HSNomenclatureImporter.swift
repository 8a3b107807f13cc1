import Foundation
import GreenCustomsCore

/// Reads an HS 2022 nomenclature in CSV form (columns `hscode` and `description`, as in the UN Comtrade-derived
/// `harmonized-system-2022.csv`; other columns ignored) into chapter, heading and subheading texts.
public struct HSNomenclatureImporter: Sendable {
    public static let requiredColumns = ["hscode", "description"]

    public struct Result: Sendable {
        public var entries: [HSDescription]
        public var version: String
        /// Rows of chapters 98 and 99, which the HS reserves for national and statistical use (UN Comtrade's
        /// "commodities not specified according to kind"): skipped.
        public var skipped: Int
    }

    public init() {}

    public func read(path: String) throws(ImportError) -> Result {
        try read(bytes: try ImportFile.readFile(path), name: (path as NSString).lastPathComponent)
    }

    public func read(bytes: [UInt8], name: String) throws(ImportError) -> Result {
        let table = try ImportFile.table(bytes, name: name, required: Self.requiredColumns)
        let code = table.column("hscode")!
        let text = table.column("description")!
        var entries: [HSDescription] = []
        var seen: [String: Int] = [:]
        var skipped = 0
        for record in table.records {
            guard record.fields.count == table.header.count else {
                throw ImportError(
                    file: name, line: record.line,
                    message: "has \(record.fields.count) fields, the header has \(table.header.count)")
            }
            let raw = record.fields[code].trimmingASCIISpaces()
            // Aggregates such as "TOTAL" and the chapters reserved for national use are not HS 2022 codes.
            if raw.allSatisfy(\.isLetter) || raw.hasPrefix("98") || raw.hasPrefix("99") {
                skipped += 1
                continue
            }
            if let problem = Self.problem(code: String(raw)) {
                throw ImportError(file: name, line: record.line, field: "hscode", message: problem)
            }
            if let first = seen[String(raw)] {
                throw ImportError(
                    file: name, line: record.line, field: "hscode", message: "\(raw) repeats line \(first)")
            }
            let description = record.fields[text].trimmingASCIISpaces()
            guard !description.isEmpty else {
                throw ImportError(file: name, line: record.line, field: "description", message: "is empty")
            }
            seen[String(raw)] = record.line
            entries.append(HSDescription(code: String(raw), description: String(description)))
        }
        guard !entries.isEmpty else { throw ImportError(file: name, line: 2, message: "has no HS codes") }
        let version =
            "hs-nomenclature-" + (name.contains("2022") ? "2022" : "unknown") + "+" + fnv1a64Hex(bytes).prefix(8)
        return Result(entries: entries, version: version, skipped: skipped)
    }

    /// Why a code is not an HS chapter, heading or subheading, or nil.
    static func problem(code: String) -> String? {
        guard [2, 4, 6].contains(code.count), code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return "\"\(code)\" is not an HS chapter, heading or subheading (2, 4 or 6 digits)"
        }
        guard let chapter = Int(code.prefix(2)), (1...97).contains(chapter) else {
            return "\"\(code)\" names chapter \(code.prefix(2)), which the HS does not have"
        }
        return nil
    }

    /// Validates stored texts, for `reference check`.
    public static func check(_ entries: [HSDescription], origin: String) -> [ReferenceIssue] {
        var issues: [ReferenceIssue] = []
        for (index, entry) in entries.enumerated() {
            if let problem = problem(code: entry.code) {
                issues.append(ReferenceIssue(file: origin, line: index + 1, field: "hscode", message: problem))
            }
            if entry.description.isEmpty {
                issues.append(ReferenceIssue(file: origin, line: index + 1, field: "description", message: "is empty"))
            }
        }
        return issues
    }
}
