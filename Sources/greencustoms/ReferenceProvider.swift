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

    /// Installs the bundled lists if this database lacks their current version (told from the files' bytes, without
    /// parsing them).
    func installBundledIfNeeded() async throws {
        if try await store.hasActiveBundled(version: BundledReference.version()) { return }
        let loaded = try BundledReference.load()
        if !loaded.issues.isEmpty {
            FileHandle.standardError.write(
                Data(
                    "warning: \(loaded.issues.count) problem(s) in the bundled reference files; run `greencustoms reference check`\n"
                        .utf8))
        }
        try await store.installBundled(loaded.set, sourceFile: "bundled:\(BundledReference.release)")
    }

    /// The reference set: from the stored snapshot of the active datasets when there is one, else assembled from
    /// their records and snapshotted for next time.
    func referenceSet() async throws -> ReferenceSet {
        try await installBundledIfNeeded()
        let key = "format-\(ReferenceSnapshot.formatVersion);" + (try await store.activeKey())
        if let bytes = try await store.snapshot(key: key) {
            do { return try ReferenceSnapshot.decode(bytes) } catch {
                printError("warning: the stored reference snapshot is unusable (\(error)); rebuilding it")
            }
        }
        let set = try await assembledReferenceSet()
        do { try await store.saveSnapshot(ReferenceSnapshot.encode(set), key: key) } catch {
            // Another process may have stored the same snapshot meanwhile; the next start will use theirs.
            printError("warning: could not store the reference snapshot: \(error)")
        }
        return set
    }

    /// The bundled set merged with the active imports, from their stored records.
    func assembledReferenceSet() async throws -> ReferenceSet {
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
