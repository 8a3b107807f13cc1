import FluentKit
import Foundation
import SQLKit

/// Copies of the embedded SQLite database. A backup is taken from the live database (`VACUUM INTO`: a consistent
/// snapshot while the app keeps serving, written as a compact new file); a restore replaces a database that no
/// server has open with a backup, after checking that the backup is whole and is a Green Customs database.
/// PostgreSQL has its own tools (`pg_dump`, `pg_restore`), described in Docs/operations.md.
public enum Backup {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// Writes a backup of the SQLite database `storage` to `path` (which must not exist yet).
    public static func write(_ storage: StorageDatabase, to path: String) async throws {
        guard case .sqliteFile = storage.location, let sql = storage.database as? any SQLDatabase else {
            throw Problem(
                message:
                    "backup works on the embedded SQLite database; for PostgreSQL use pg_dump (see Docs/operations.md)")
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw Problem(message: "\(path) exists already; choose a new file for the backup")
        }
        try await sql.raw("VACUUM INTO \(bind: path)").run()
    }

    /// Checks that `path` is a whole SQLite file holding Green Customs' tables; returns how many migrations it has.
    public static func check(_ path: String) async throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { throw Problem(message: "\(path) does not exist") }
        let handle = try? FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        let magic = (try? handle?.read(upToCount: 16)) ?? nil
        try? handle?.close()
        guard magic == Data("SQLite format 3\u{0}".utf8) else {
            throw Problem(message: "\(path) is not a SQLite database")
        }
        // A copy, so that checking never writes to the backup itself (opening runs migrations).
        let scratch = NSTemporaryDirectory() + "gc-restore-check-\(UUID().uuidString).sqlite"
        try FileManager.default.copyItem(atPath: path, toPath: scratch)
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch + suffix) } }
        let storage = try await StorageDatabase.open(.sqliteFile(path: scratch))
        do {
            let sql = storage.database as! any SQLDatabase
            let integrity = try await sql.raw("PRAGMA integrity_check").all()
                .compactMap { try? $0.decode(column: "integrity_check", as: String.self) }
            guard integrity == ["ok"] else {
                throw Problem(message: "\(path) is damaged: \(integrity.prefix(3).joined(separator: "; "))")
            }
            let migrations = try await sql.raw("SELECT COUNT(*) AS n FROM _fluent_migrations").first()?
                .decode(column: "n", as: Int.self) ?? 0
            await storage.shutdown()
            return migrations
        } catch {
            await storage.shutdown()
            throw error
        }
    }

    /// Replaces the SQLite database at `path` with the backup at `backup`: copied beside it, flushed to disk, then
    /// renamed over it in one step, its write-ahead log removed. Refused while the database seems open (its `-wal`
    /// or `-shm` file exists) unless `force` (a server that crashed leaves them too).
    public static func restore(_ backup: String, over path: String, force: Bool) async throws {
        _ = try await check(backup)
        let fm = FileManager.default
        if !force, fm.fileExists(atPath: path + "-wal") || fm.fileExists(atPath: path + "-shm") {
            throw Problem(
                message:
                    "\(path) looks open (its -wal or -shm file exists): stop every server using it first, or give --force if none runs"
            )
        }
        let staging = path + ".restoring"
        try? fm.removeItem(atPath: staging)
        try fm.copyItem(atPath: backup, toPath: staging)
        let fd = open(staging, O_RDONLY)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
        for suffix in ["-wal", "-shm"] { try? fm.removeItem(atPath: path + suffix) }
        guard rename(staging, path) == 0 else {
            try? fm.removeItem(atPath: staging)
            throw Problem(message: "\(path) could not be replaced (\(String(cString: strerror(errno))))")
        }
    }
}
