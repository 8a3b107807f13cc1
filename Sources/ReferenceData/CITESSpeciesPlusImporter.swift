import Foundation
import GreenCustomsCore

/// Reads the official Species+ "Index of CITES Species" CSV export (UNEP-WCMC), plain or gzip-compressed, into
/// CITES taxon items: every taxon with its current listing, annotation, synonyms and common names.
///
/// Required columns: `FullName`, `RankName`, `CurrentListing`. Every other column is optional and unknown columns
/// are ignored, so later exports with added columns still import.
public struct CITESSpeciesPlusImporter: Sendable {
    public static let requiredColumns = ["FullName", "RankName", "CurrentListing"]

    public struct Result: Sendable {
        public var items: [ControlledItem]
        /// The line in the file each item came from.
        public var lines: [Int]
        /// A label for the dataset, e.g. `cites-speciesplus-2017-04-21` when the file name carries the date.
        public var version: String
    }

    public typealias ImportError = ReferenceData.ImportError

    public init() {}

    /// Reads and validates a whole file. The first bad record stops the import with its line and field, so
    /// nothing of a broken file is ever stored.
    public func read(path: String) throws(ImportError) -> Result {
        try read(bytes: try ImportFile.readFile(path), name: (path as NSString).lastPathComponent)
    }

    public func read(bytes: [UInt8], name: String) throws(ImportError) -> Result {
        let table = try ImportFile.table(bytes, name: name, required: Self.requiredColumns)
        let source = "UNEP-WCMC Species+ Index of CITES Species export (\(name))"
        var items: [ControlledItem] = []
        var lines: [Int] = []
        items.reserveCapacity(table.records.count)
        var seen: [String: Int] = [:]
        for record in table.records {
            var row = RowReader(table: table, record: record)
            if let first = row.issues.first { throw ImportError(file: name, line: record.line, message: first.message) }
            let fullName = row.text("FullName")
            guard !fullName.isEmpty else {
                throw ImportError(file: name, line: record.line, field: "FullName", message: "is empty")
            }
            let rankText = row.text("RankName").uppercased()
            guard let rank = Taxonomy.Rank(rawValue: rankText) else {
                throw ImportError(
                    file: name, line: record.line, field: "RankName", message: "\"\(rankText)\" is not a taxonomic rank"
                )
            }
            let listingText = row.text("CurrentListing")
            let appendices = listingText.split(separator: "/").map { String($0.trimmingASCIISpaces()) }
            for part in appendices where !["I", "II", "III", "NC"].contains(part) {
                throw ImportError(
                    file: name, line: record.line, field: "CurrentListing",
                    message: "\"\(listingText)\" is not a CITES listing (I, II, III, NC or a combination with /)")
            }
            let listed = appendices.filter { $0 != "NC" }
            let id = "cites:" + CITESSpeciesPlusImporter.slug(fullName)
            if seen[id] != nil { continue }  // The export repeats a few taxa; the first row stands.
            seen[id] = record.line
            var common: [String: [String]] = [:]
            for (column, lang) in [("EnglishNames", "en"), ("FrenchNames", "fr"), ("SpanishNames", "es")] {
                let names = splitList(row.text(column), separator: ",")
                if !names.isEmpty { common[lang] = names }
            }
            let annotation = row.optional("FullAnnotationEnglish").map { CITESSpeciesPlusImporter.cleanAnnotation($0) }
            let taxonomy = Taxonomy(
                rank: rank, kingdom: row.optional("Kingdom"), phylum: row.optional("Phylum"),
                class: row.optional("Class"),
                order: row.optional("Order"), family: row.optional("Family"),
                genus: rank == .genus ? fullName : row.optional("Genus"))
            var listings: [Listing] = []
            if !listed.isEmpty {
                listings.append(
                    Listing(
                        regime: .cites, list: "Appendix " + listed.joined(separator: "/"),
                        annotation: annotation?.isEmpty == false ? annotation : nil))
            }
            items.append(
                ControlledItem(
                    id: id, regime: .cites, kind: .taxon, controlled: !listed.isEmpty,
                    names: ItemNames(
                        preferred: fullName,
                        synonyms: CITESSpeciesPlusImporter.synonyms(row.text("SynonymsWithAuthors")),
                        common: common),
                    listings: listings, taxonomy: taxonomy,
                    note: listed.count < appendices.count ? "Some populations are not listed (NC)." : nil,
                    source: source))
            lines.append(record.line)
        }
        guard !items.isEmpty else { throw ImportError(file: name, line: 2, message: "has no records") }
        let version = CITESSpeciesPlusImporter.version(fromFileName: name) + "+" + fnv1a64Hex(bytes).prefix(8)
        return Result(items: items, lines: lines, version: version)
    }

    /// `Loxodonta africana` → `loxodonta-africana`.
    public static func slug(_ name: String) -> String {
        var out = ""
        var dash = false
        for scalar in name.lowercased().folding(options: [.diacriticInsensitive], locale: nil).unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                out.unicodeScalars.append(scalar)
                dash = false
            } else if !dash, !out.isEmpty {
                out.append("-")
                dash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    /// Synonyms come as `Name Author, Year, Name2 (Author, Year)`: keep the Latin names, drop the authors.
    static func synonyms(_ field: String) -> [String] {
        var names: [String] = []
        for piece in field.split(separator: ",") {
            let words = piece.split(separator: " ")
            guard let first = words.first, first.first?.isUppercase == true, words.count >= 2,
                words[1].first?.isLowercase == true
            else { continue }
            var name = [String(first)]
            for word in words.dropFirst() {
                guard word.first?.isLowercase == true, word.allSatisfy({ $0.isLetter || $0 == "-" }) else { break }
                if ["var.", "ssp.", "subsp."].contains(word) { continue }
                name.append(String(word))
            }
            if name.count >= 2 {
                let joined = name.joined(separator: " ")
                if !names.contains(joined) { names.append(joined) }
            }
        }
        return names
    }

    /// The export writes "Appendix II: " when a listing has no annotation: that is no annotation.
    static func cleanAnnotation(_ raw: String) -> String {
        let s = raw.trimmingCharacters(in: .whitespaces)
        return ["Appendix I:", "Appendix II:", "Appendix III:"].contains(s) ? "" : s
    }

    /// Finds a `YYYY-MM-DD` date in the file name.
    static func version(fromFileName name: String) -> String {
        let chars = Array(name)
        if chars.count >= 10 {
            for i in 0...(chars.count - 10) {
                let candidate = String(chars[i..<(i + 10)])
                if CalendarDate(iso: candidate) != nil { return "cites-speciesplus-\(candidate)" }
            }
        }
        return "cites-speciesplus-" + fnv1a64Hex(Array(name.utf8)).prefix(8)
    }
}
