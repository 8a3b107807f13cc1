import Foundation
import GreenCustomsCore
import ReferenceData
import Storage

/// Opens the database, installs the bundled lists on first use, and assembles the reference set the command line
/// and the web app use: the bundled lists plus the active imports.
public struct ReferenceProvider: Sendable {
    public let storage: StorageDatabase
    public let store: ReferenceStore
    /// Where warnings go (a damaged snapshot, problems in the bundled files); standard error by default.
    let warn: @Sendable (String) -> Void

    public init(storage: StorageDatabase, warn: @escaping @Sendable (String) -> Void = ReferenceProvider.standardError)
    {
        self.storage = storage
        self.store = ReferenceStore(storage: storage)
        self.warn = warn
    }

    /// Opens the database named by `database` (a `--database` value), else `DATABASE_URL`, else the default file.
    public static func open(database: String?) async throws -> ReferenceProvider {
        let location = try DatabaseLocation.resolve(option: database, environment: ProcessInfo.processInfo.environment)
        return ReferenceProvider(storage: try await StorageDatabase.open(location))
    }

    @Sendable public static func standardError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Installs the bundled lists if this database lacks their current version (told from the files' bytes, without
    /// parsing them).
    public func installBundledIfNeeded() async throws {
        if try await store.hasActiveBundled(version: BundledReference.version()) { return }
        let loaded = try BundledReference.load()
        if !loaded.issues.isEmpty {
            warn(
                "warning: \(loaded.issues.count) problem(s) in the bundled reference files; run `greencustoms reference check`"
            )
        }
        try await store.installBundled(loaded.set, sourceFile: "bundled:\(BundledReference.release)")
    }

    /// The reference set: from the stored snapshot of the active datasets when there is one, else assembled from
    /// their records and snapshotted for next time.
    public func referenceSet() async throws -> ReferenceSet {
        try await installBundledIfNeeded()
        let key = "format-\(ReferenceSnapshot.formatVersion);" + (try await store.activeKey())
        if let bytes = try await store.snapshot(key: key) {
            do { return try ReferenceSnapshot.decode(bytes) } catch {
                warn("warning: the stored reference snapshot is unusable (\(error)); rebuilding it")
            }
        }
        let set = try await assembledReferenceSet()
        do { try await store.saveSnapshot(ReferenceSnapshot.encode(set), key: key) } catch {
            // Another process may have stored the same snapshot meanwhile; the next start will use theirs.
            warn("warning: could not store the reference snapshot: \(error)")
        }
        return set
    }

    /// The bundled set merged with the active imports, from their stored records.
    public func assembledReferenceSet() async throws -> ReferenceSet {
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

    public func close() async { await storage.shutdown() }

    /// Runs `body` with an open provider and always closes it.
    public static func with<T>(database: String?, _ body: (ReferenceProvider) async throws -> T) async throws -> T {
        let provider = try await open(database: database)
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
