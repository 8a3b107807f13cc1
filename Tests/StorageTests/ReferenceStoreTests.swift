import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import ReferenceData
import Testing

@testable import Storage

/// The same storage cases on every database: in-memory SQLite always, a SQLite file, and PostgreSQL when
/// `POSTGRES_TEST_URL` names a server (CI starts one).
@Suite("Reference store", .serialized)
struct ReferenceStoreTests {
    static var locations: [DatabaseLocation] {
        var all: [DatabaseLocation] = [
            .sqliteMemory, .sqliteFile(path: NSTemporaryDirectory() + "gc-store-\(UUID().uuidString).sqlite"),
        ]
        if let url = ProcessInfo.processInfo.environment["POSTGRES_TEST_URL"], !url.isEmpty {
            all.append(.postgres(url: url))
        } else {
            print("skipping PostgreSQL storage cases: POSTGRES_TEST_URL is not set (.ci/run sets it)")
        }
        return all
    }

    /// Opens a clean database, runs `body`, and tears it down.
    func withStore(
        _ location: DatabaseLocation,
        clock: @escaping @Sendable () -> Date = { Date(timeIntervalSince1970: 1_760_000_000) },
        _ body: (ReferenceStore, StorageDatabase) async throws -> Void
    ) async throws {
        try await Self.withDatabase(location, clear: Self.clear) { storage in
            try await body(ReferenceStore(storage: storage, clock: clock), storage)
        }
    }

    /// Opens `location`, clears it with `clear` before and after `body` (a shared PostgreSQL server keeps rows
    /// between tests), always shuts it down, and removes a SQLite file.
    static func withDatabase(
        _ location: DatabaseLocation, clear: (StorageDatabase) async throws -> Void,
        _ body: (StorageDatabase) async throws -> Void
    ) async throws {
        let storage = try await StorageDatabase.open(location)
        do {
            try await clear(storage)
            try await body(storage)
            try await clear(storage)
        } catch {
            await storage.shutdown()
            throw error
        }
        await storage.shutdown()
        if case .sqliteFile(let path) = location { try? FileManager.default.removeItem(atPath: path) }
    }

    static func clear(_ storage: StorageDatabase) async throws {
        try await ReferenceRecordModel.query(on: storage.database).delete()
        try await ReferenceDatasetModel.query(on: storage.database).delete()
    }

    static func taxon(_ name: String, appendix: String = "II") -> ControlledItem {
        ControlledItem(
            id: "cites:" + name.lowercased().replacingOccurrences(of: " ", with: "-"), regime: .cites, kind: .taxon,
            names: ItemNames(preferred: name, common: ["en": ["test \(name)"]]),
            listings: [Listing(regime: .cites, list: "Appendix \(appendix)")],
            taxonomy: Taxonomy(rank: .species, genus: "Testus"),
            source: "test export")
    }

    @Test("The bundled set round-trips exactly and is installed once per version", arguments: locations)
    func bundledRoundTrip(location: DatabaseLocation) async throws {
        try await withStore(location) { store, _ in
            let set = Fixtures.bundled.set
            #expect(try await store.installBundled(set, sourceFile: "bundled"))
            #expect(try await !store.installBundled(set, sourceFile: "bundled"))
            let loaded = try #require(try await store.load().bundled)
            #expect(loaded.version == set.version)
            #expect(loaded.items == set.items)
            #expect(loaded.countries == set.countries)
            #expect(loaded.requirements == set.requirements)
            #expect(loaded.hsLinks == set.hsLinks)
            #expect(loaded.tradeTerms == set.tradeTerms)
            // A new bundled version replaces the old one.
            var next = set
            next.version = "bundled-test-next"
            next.items = Array(set.items.prefix(10))
            #expect(try await store.installBundled(next, sourceFile: "bundled"))
            let datasets = try await store.datasets()
            #expect(datasets.filter { $0.kind == ReferenceStore.bundledKind }.map(\.version) == ["bundled-test-next"])
            #expect(try await store.load().bundled?.items.count == 10)
        }
    }

    @Test("Imports are versioned: the newest of a kind is active, earlier ones are kept", arguments: locations)
    func importsAreVersioned(location: DatabaseLocation) async throws {
        let tick = Counter()
        try await withStore(location, clock: { Date(timeIntervalSince1970: 1_760_000_000 + Double(tick.next())) }) {
            store, _ in
            let first = try await store.importItems(
                [Self.taxon("Testus alpha"), Self.taxon("Testus beta")], kind: "cites-speciesplus", version: "v1",
                sourceFile: "a.csv")
            #expect(first.recordCount == 2)
            let second = try await store.importItems(
                [Self.taxon("Testus gamma", appendix: "I")], kind: "cites-speciesplus", version: "v2",
                sourceFile: "b.csv")
            #expect(second.active)
            let datasets = try await store.datasets()
            #expect(datasets.map(\.version) == ["v2", "v1"])
            #expect(datasets.map(\.active) == [true, false])
            let stored = try await store.load()
            #expect(stored.imports.count == 1)
            #expect(stored.imports.first?.items.map(\.id) == ["cites:testus-gamma"])
            #expect(stored.imports.first?.items.first?.listings.first?.list == "Appendix I")
        }
    }

    @Test("A failed import leaves the database as it was", arguments: locations)
    func failedImportRollsBack(location: DatabaseLocation) async throws {
        try await withStore(location) { store, storage in
            _ = try await store.importItems(
                [Self.taxon("Testus alpha")], kind: "cites-speciesplus", version: "v1", sourceFile: "a.csv")
            // 1,500 records, the 1,201st repeating an id: the first batch of 1,000 is written before the failure.
            var items = (0..<1_500).map { Self.taxon("Testus n\($0)") }
            items[1_200] = items[5]
            await #expect(throws: (any Error).self) {
                try await store.importItems(items, kind: "cites-speciesplus", version: "v2", sourceFile: "broken.csv")
            }
            let datasets = try await store.datasets()
            #expect(datasets.map(\.version) == ["v1"])
            #expect(datasets.map(\.active) == [true])
            #expect(try await ReferenceRecordModel.query(on: storage.database).count() == 1)
            #expect(try await store.load().imports.first?.items.map(\.id) == ["cites:testus-alpha"])
        }
    }

    @Test("Thousands of records import in one transaction", arguments: locations)
    func bulkImport(location: DatabaseLocation) async throws {
        try await withStore(location) { store, _ in
            let items = (0..<2_500).map { Self.taxon("Testus n\($0)") }
            let info = try await store.importItems(
                items, kind: "cites-speciesplus", version: "bulk", sourceFile: "bulk.csv")
            #expect(info.recordCount == 2_500)
            let loaded = try await store.load().imports.first?.items
            #expect(loaded?.count == 2_500)
            #expect(loaded?.map(\.id) == items.map(\.id))  // in file order
        }
    }
}

/// A thread-safe counter for the test clock.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

@Suite("Database configuration")
struct DatabaseLocationTests {
    @Test func resolution() throws {
        #expect(
            try DatabaseLocation.resolve(option: nil, environment: [:]) == .sqliteFile(path: "./greencustoms.sqlite"))
        #expect(
            try DatabaseLocation.resolve(option: "/tmp/x.sqlite", environment: ["DATABASE_URL": "postgres://a@b/c"])
                == .sqliteFile(path: "/tmp/x.sqlite"))
        #expect(
            try DatabaseLocation.resolve(option: nil, environment: ["DATABASE_URL": "postgres://u:p@db:5432/gc"])
                == .postgres(url: "postgres://u:p@db:5432/gc"))
        #expect(
            try DatabaseLocation.resolve(option: "postgresql://u@h/gc", environment: [:])
                == .postgres(url: "postgresql://u@h/gc"))
        #expect(throws: ConfigurationError.self) {
            try DatabaseLocation.resolve(option: "mysql://u@h/gc", environment: [:])
        }
        #expect(DatabaseLocation.postgres(url: "postgres://u:secret@h/gc").description.contains("secret") == false)
    }
}
