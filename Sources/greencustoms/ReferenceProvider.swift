import Foundation
import GreenCustomsCore
import ReferenceData
import Storage

/// Opens the database, installs the bundled lists on first use, and assembles the reference set the commands use:
/// the bundled lists plus the active imports.
struct ReferenceProvider {
    let storage: StorageDatabase
    let store: ReferenceStore

    static func open(_ options: DatabaseOptions) async throws -> ReferenceProvider {
        let location = try DatabaseLocation.resolve(
            option: options.database, environment: ProcessInfo.processInfo.environment)
        let storage = try await StorageDatabase.open(location)
        return ReferenceProvider(storage: storage, store: ReferenceStore(storage: storage))
    }

    /// Installs the bundled lists if this database lacks their current version.
    func installBundledIfNeeded() async throws {
        let loaded = try BundledReference.load()
        if !loaded.issues.isEmpty {
            FileHandle.standardError.write(
                Data(
                    "warning: \(loaded.issues.count) problem(s) in the bundled reference files; run `greencustoms reference check`\n"
                        .utf8))
        }
        try await store.installBundled(loaded.set, sourceFile: "bundled:\(BundledReference.release)")
    }

    func referenceSet() async throws -> ReferenceSet {
        try await installBundledIfNeeded()
        let stored = try await store.load()
        guard var set = stored.bundled else {
            throw StorageError(message: "the bundled reference set is missing from the database")
        }
        for dataset in stored.imports {
            if !dataset.items.isEmpty { set = set.merging(imported: dataset.items, version: dataset.info.version) }
            if !dataset.hsDescriptions.isEmpty {
                set = set.merging(hsDescriptions: dataset.hsDescriptions, version: dataset.info.version)
            }
        }
        return set
    }

    func close() async { await storage.shutdown() }

    /// Runs `body` with an open provider and always closes it.
    static func with<T>(_ options: DatabaseOptions, _ body: (ReferenceProvider) async throws -> T) async throws -> T {
        let provider = try await open(options)
        do {
            let value = try await body(provider)
            await provider.close()
            return value
        } catch {
            await provider.close()
            throw error
        }
    }
}
