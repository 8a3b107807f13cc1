import Foundation
import GreenCustomsCore

/// The reference files that ship with Green Customs (see `Bundled/README.md` for their columns), and the code that
/// turns them into a `ReferenceSet`.
public enum BundledReference {
    /// The release of the bundled lists. Bump it when the files change meaning; the content hash in `version`
    /// changes by itself with every edit.
    public static let release = "2025.1"

    /// The folder holding the bundled CSV files inside the package's resources.
    public static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Bundled", isDirectory: true)
    }

    /// The version `load` would give the files in `directory`, from their bytes alone (a few milliseconds, where
    /// loading takes a tenth of a second): enough to tell whether the database already holds them.
    public static func version(of directory: URL = BundledReference.directory) throws -> String {
        try ReferenceLoader(directory: directory).version()
    }

    /// Loads the bundled files. Records with problems are left out and reported in `issues`.
    public static func load(from directory: URL = BundledReference.directory) throws -> LoadedReference {
        try ReferenceLoader(directory: directory).load()
    }
}

/// The result of reading a folder of reference files.
public struct LoadedReference: Sendable {
    public var set: ReferenceSet
    /// Every problem found, in file and line order.
    public var issues: [ReferenceIssue]
    /// Where each item came from (file and line), for error messages that point at the record.
    public var locations: [String: ReferenceIssue]
}

/// Reads every reference file of a folder.
struct ReferenceLoader {
    let directory: URL

    struct FileError: Error, CustomStringConvertible {
        var description: String
    }

    func load() throws -> LoadedReference {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".csv") }.sorted()
        guard !names.isEmpty else {
            throw FileError(description: "\(directory.path): no reference files (*.csv) found")
        }
        var context = BuildContext()
        var hashes: [UInt8] = []
        // Single substances first, so mixtures can resolve their components; links and requirements last.
        let order: [(prefix: String, build: (inout BuildContext, CSVTable) -> Void)] = [
            ("montreal_substances", BuildContext.montrealSubstances),
            ("refrigerants_other", BuildContext.otherRefrigerants),
            ("montreal_blends", BuildContext.montrealBlends),
            ("rotterdam_annex3", BuildContext.rotterdam),
            ("stockholm_annexes", BuildContext.stockholm),
            ("cwc_schedules", BuildContext.cwc),
            ("basel_entries", BuildContext.basel),
            ("cites_higher_taxa", BuildContext.citesHigherTaxa),
            ("cites_species", BuildContext.citesSpecies),
            ("cartagena_lmo_events", BuildContext.lmoEvents),
            ("countries", BuildContext.countries),
            ("requirements", BuildContext.requirements),
            ("hs_interconnection", BuildContext.hsLinks),
            ("trade_terms", BuildContext.tradeTerms),
        ]
        precondition(order.map(\.prefix) == Self.prefixes, "the hashing order must follow the loading order")
        var used = Set<String>()
        for (prefix, build) in order {
            for name in Self.files(names, prefix: prefix, used: &used) {
                let bytes = try readBytes(directory.appendingPathComponent(name))
                hashes += bytes
                let table: CSVTable
                do { table = try CSVTable(bytes: bytes, file: name) } catch {
                    context.issues.append(ReferenceIssue(file: error.file, line: error.line, message: error.message))
                    continue
                }
                let missing = table.missingColumns(BuildContext.requiredColumns[prefix] ?? [])
                if !missing.isEmpty {
                    context.issues.append(
                        ReferenceIssue(
                            file: name, line: 1,
                            message: "missing required column(s): \(missing.joined(separator: ", "))"))
                    continue
                }
                build(&context, table)
            }
        }
        for name in names where !used.contains(name) {
            context.issues.append(
                ReferenceIssue(file: name, line: 1, message: "is not a known reference file; rename it or remove it"))
        }
        context.finish()
        let version = "bundled-\(BundledReference.release)+\(fnv1a64Hex(hashes).prefix(12))"
        let set = ReferenceSet(
            items: context.items, countries: context.countries, requirements: context.requirements,
            hsLinks: context.hsLinks, tradeTerms: context.tradeTerms, version: version)
        let issues = context.issues.sorted { ($0.file, $0.line) < ($1.file, $1.line) }
        return LoadedReference(set: set, issues: issues, locations: context.locations)
    }

    /// The files of one kind, in the order they are read (and hashed).
    static func files(_ names: [String], prefix: String, used: inout Set<String>) -> [String] {
        var out: [String] = []
        for name in names where name == "\(prefix).csv" || (name.hasPrefix(prefix + "_") && !used.contains(name)) {
            used.insert(name)
            out.append(name)
        }
        return out
    }

    static let prefixes = [
        "montreal_substances", "refrigerants_other", "montreal_blends", "rotterdam_annex3", "stockholm_annexes",
        "cwc_schedules", "basel_entries", "cites_higher_taxa", "cites_species", "cartagena_lmo_events", "countries",
        "requirements", "hs_interconnection", "trade_terms",
    ]

    func version() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".csv") }.sorted()
        var used = Set<String>()
        var hashes: [UInt8] = []
        for prefix in Self.prefixes {
            for name in Self.files(names, prefix: prefix, used: &used) {
                hashes += try readBytes(directory.appendingPathComponent(name))
            }
        }
        return "bundled-\(BundledReference.release)+\(fnv1a64Hex(hashes).prefix(12))"
    }

    func readBytes(_ url: URL) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FileError(description: "\(url.path): cannot be read")
        }
        return [UInt8](data)
    }
}

/// A stable 64-bit FNV-1a hash, printed as hex, used to version the bundled files.
func fnv1a64Hex(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
