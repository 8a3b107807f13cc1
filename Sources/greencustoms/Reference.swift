import ArgumentParser
import Foundation
import GreenCustomsCore
import ReferenceData
import ReferenceLibrary
import Storage

struct Reference: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, import and list the reference data.",
        subcommands: [Check.self, Import.self, List.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Validate every bundled and imported record; exits 1 listing file, line and reason for each problem.")

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Check the reference files in this folder instead of the bundled ones.", valueName: "dir"))
        var bundledDir: String?

        @Flag(name: .long, help: "Check the files only, not the datasets imported into the database.")
        var filesOnly = false

        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            let directory = bundledDir.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? BundledReference.directory
            let loaded = try BundledReference.load(from: directory)
            var issues = loaded.issues
            var summary =
                "\(loaded.set.items.count) items, \(loaded.set.countries.count) countries, "
                + "\(loaded.set.requirements.count) requirements, \(loaded.set.hsLinks.count) HS links in \(bundledDir ?? "the bundled files")"
            if !filesOnly {
                let stored = try await ReferenceProvider.with(database: databaseOptions.database) {
                    try await $0.store.load()
                }
                for dataset in stored.imports {
                    let origin = "\(dataset.info.version) (imported from \(dataset.info.sourceFile))"
                    issues += ReferenceValidator.check(items: dataset.items, origin: origin)
                    issues += HSNomenclatureImporter.check(dataset.hsDescriptions, origin: origin)
                    summary += "; \(dataset.info.recordCount) records in \(dataset.info.version)"
                }
            }
            for issue in issues { print(issue.description) }
            if issues.isEmpty {
                print("OK: \(summary).")
            } else {
                print("\(issues.count) problem(s) found; \(summary).")
                throw ExitCode(1)
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import an official export into the database.",
            subcommands: [CITES.self, HS.self])

        struct CITES: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "cites",
                abstract: "Import the Species+ \"Index of CITES Species\" CSV export (.csv or .csv.gz).")

            @Argument(help: "The export file.")
            var file: String

            @OptionGroup var databaseOptions: DatabaseOptions

            func run() async throws {
                let (result, info) = try await importFile(
                    file, databaseOptions,
                    read: { () throws(ImportError) in try CITESSpeciesPlusImporter().read(path: file) },
                    validate: { ReferenceValidator.check(items: $0.items, origin: file, lines: $0.lines) },
                    store: { store, result, name in
                        try await store.importItems(
                            result.items, kind: "cites-speciesplus", version: result.version, sourceFile: name)
                    })
                let listed = result.items.filter(\.controlled).count
                print("Imported \(info.recordCount) CITES taxa (\(listed) listed) as \(info.version).")
            }
        }

        struct HS: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "hs",
                abstract:
                    "Import the HS 2022 nomenclature (CSV with hscode and description columns), so HS look-ups show its texts."
            )

            @Argument(help: "The nomenclature file.")
            var file: String

            @OptionGroup var databaseOptions: DatabaseOptions

            func run() async throws {
                let (result, info) = try await importFile(
                    file, databaseOptions,
                    read: { () throws(ImportError) in try HSNomenclatureImporter().read(path: file) },
                    validate: { HSNomenclatureImporter.check($0.entries, origin: file) },
                    store: { store, result, name in
                        try await store.importHSDescriptions(
                            result.entries, kind: "hs-nomenclature", version: result.version, sourceFile: name)
                    })
                let skipped = result.skipped > 0 ? " (\(result.skipped) rows outside chapters 01–97 skipped)" : ""
                print("Imported \(info.recordCount) HS codes as \(info.version)\(skipped).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the datasets in the database and their versions.")

        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            let datasets = try await ReferenceProvider.with(database: databaseOptions.database) { provider in
                try await provider.installBundledIfNeeded()
                return try await provider.store.datasets()
            }
            let formatter = ISO8601DateFormatter()
            for d in datasets {
                print(
                    "\(d.active ? "*" : " ") \(d.version)  \(d.recordCount) records  \(formatter.string(from: d.importedAt))  \(d.sourceFile)"
                )
            }
        }
    }
}

/// Reads an import file and stores it, or refuses it whole: the first problem (or up to 20 validation problems) is
/// printed with file, line and field, and the database is left as it was.
func importFile<R>(
    _ file: String, _ options: DatabaseOptions, read: () throws(ImportError) -> R,
    validate: (R) -> [ReferenceIssue], store: (ReferenceStore, R, String) async throws -> DatasetInfo
) async throws -> (R, DatasetInfo) {
    let result: R
    do { result = try read() } catch {
        printError("error: \(error.description)\nNothing was imported.")
        throw ExitCode(1)
    }
    let issues = validate(result)
    if !issues.isEmpty {
        for issue in issues.prefix(20) { printError("error: \(issue.description)") }
        printError("\(issues.count) problem(s); nothing was imported.")
        throw ExitCode(1)
    }
    let info = try await ReferenceProvider.with(database: options.database) { provider in
        try await provider.installBundledIfNeeded()
        let name = (file as NSString).lastPathComponent
        let info = try await store(provider.store, result, name)
        try await AuditLog(storage: provider.storage).record(
            AuditEvent(
                at: Date(), actor: cliActor, action: .referenceImport, target: name,
                detail: "\(info.recordCount) records as \(info.version)"))
        return info
    }
    return (result, info)
}

func printError(_ message: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((message + terminator).utf8))
}
