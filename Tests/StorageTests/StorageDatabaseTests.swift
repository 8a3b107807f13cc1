import Foundation
import Testing

@testable import Storage

@Suite("Storage database")
struct StorageDatabaseTests {
    @Test("A SQLite file runs with write-ahead logging; a reader is not held up by a writer's open transaction")
    func writeAheadLog() async throws {
        let path = NSTemporaryDirectory() + "gc-wal-\(UUID().uuidString).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let writer = try await StorageDatabase.open(.sqliteFile(path: path))
        let reader = try await StorageDatabase.open(.sqliteFile(path: path))
        #expect(try await writer.sqliteJournalMode() == "wal")
        // A write transaction stays open on one connection while the other database reads: with the rollback
        // journal the reader would wait for the writer; with WAL it answers at once.
        let release = AsyncStream<Void>.makeStream()
        let holding = Task {
            try await writer.database.transaction { db in
                try await WebSessionModel.query(on: db).set(\.$payload, to: "x").update()
                let session = WebSessionModel()
                session.keyHash = "held"
                session.payload = "{}"
                session.expiresAt = Date()
                try await session.create(on: db)
                for await _ in release.stream { break }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(await reader.health(timeout: .seconds(2)) == .ok)
        #expect(try await WebSessionModel.query(on: reader.database).count() == 0)
        release.continuation.yield()
        try await holding.value
        #expect(try await WebSessionModel.query(on: reader.database).count() == 1)
        await reader.shutdown()
        await writer.shutdown()
    }
}
