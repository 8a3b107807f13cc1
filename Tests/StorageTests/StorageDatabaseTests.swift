import Foundation
import GreenCustomsCore
import SQLKit
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

@Suite("Backup and restore")
struct BackupTests {
    /// Every row of every table, as text, table by table.
    static func dump(_ path: String) async throws -> [String] {
        let storage = try await StorageDatabase.open(.sqliteFile(path: path))
        let sql = storage.database as! any SQLDatabase
        var out: [String] = []
        let tables = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()
            .map { try $0.decode(column: "name", as: String.self) }
        for table in tables {
            let columns = try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table)) ORDER BY cid").all()
                .map { try $0.decode(column: "name", as: String.self) }
            let expression = columns.map { "quote(\"\($0)\")" }.joined(separator: " || '|' || ")
            let lines = try await sql.raw("SELECT \(unsafeRaw: expression) AS line FROM \(ident: table)").all()
                .map { try $0.decode(column: "line", as: String.self) }
            out.append("\(table): " + lines.sorted().joined(separator: "\n"))
        }
        await storage.shutdown()
        return out
    }

    @Test("A backup of a live database restores to an identical one; a damaged or foreign file is refused")
    func roundTrip() async throws {
        let dir = NSTemporaryDirectory() + "gc-backup-\(UUID().uuidString)/"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let live = try await StorageDatabase.open(.sqliteFile(path: dir + "live.sqlite"))
        let accounts = AccountStore(storage: live)
        try await accounts.createUser(name: "amina", role: .analyst, passwordHash: "$2b$hash")
        try await accounts.createToken(owner: "amina", label: "sw", prefix: "gct_abc", tokenHash: "d1")
        try await AuditLog(storage: live).record(AuditEvent(at: Date(), actor: "amina", action: .signIn))
        // Taken while the database is open and in use.
        try await Backup.write(live, to: dir + "backup.sqlite")
        await #expect(throws: Backup.Problem.self) { try await Backup.write(live, to: dir + "backup.sqlite") }
        await live.shutdown()
        #expect(try await Backup.check(dir + "backup.sqlite") == StorageMigrations.all.count)
        try await Backup.restore(dir + "backup.sqlite", over: dir + "restored.sqlite", force: false)
        #expect(try await Self.dump(dir + "restored.sqlite") == (try await Self.dump(dir + "live.sqlite")))
        // Refused: not SQLite, or damaged; the database restored over stays as it was.
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: dir + "junk.sqlite"))
        await #expect(throws: Backup.Problem.self) {
            try await Backup.restore(dir + "junk.sqlite", over: dir + "restored.sqlite", force: true)
        }
        var damaged = try Data(contentsOf: URL(fileURLWithPath: dir + "backup.sqlite"))
        damaged.replaceSubrange(100..<4096, with: Data(repeating: 0xAB, count: 3996))
        try damaged.write(to: URL(fileURLWithPath: dir + "damaged.sqlite"))
        await #expect(throws: (any Error).self) {
            try await Backup.restore(dir + "damaged.sqlite", over: dir + "restored.sqlite", force: true)
        }
        let restored = try await StorageDatabase.open(.sqliteFile(path: dir + "restored.sqlite"))
        #expect(try await AccountStore(storage: restored).user(named: "amina") != nil)
        await restored.shutdown()
    }
}
