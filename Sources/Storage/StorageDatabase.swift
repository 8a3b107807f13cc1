import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit

/// Where the data lives: a SQLite file (the embedded default), an in-memory SQLite database (tests), or a
/// PostgreSQL server shared by several app servers.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqliteFile(path: String)
    case sqliteMemory
    case postgres(url: String)

    public static let defaultPath = "./greencustoms.sqlite"

    /// `--database` wins (a path, or a `postgres://` URL); otherwise `DATABASE_URL`; otherwise the default file.
    public static func resolve(option: String?, environment: [String: String]) throws(ConfigurationError)
        -> DatabaseLocation
    {
        if let option, !option.isEmpty { return try parse(option, origin: "--database") }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return try parse(url, origin: "DATABASE_URL") }
        return .sqliteFile(path: defaultPath)
    }

    static func parse(_ value: String, origin: String) throws(ConfigurationError) -> DatabaseLocation {
        let lower = value.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            guard URL(string: value)?.host != nil else {
                throw ConfigurationError(
                    message:
                        "\(origin): \"\(redacted(value))\" is not a valid PostgreSQL URL (postgres://user:password@host:port/database)"
                )
            }
            return .postgres(url: value)
        }
        if lower.hasPrefix("sqlite://") { return .sqliteFile(path: String(value.dropFirst("sqlite://".count))) }
        if lower == ":memory:" { return .sqliteMemory }
        if lower.contains("://") {
            throw ConfigurationError(
                message:
                    "\(origin): unsupported database URL scheme in \"\(redacted(value))\" (use a file path or postgres://)"
            )
        }
        return .sqliteFile(path: value)
    }

    /// The URL without its password, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    public var description: String {
        switch self {
        case .sqliteFile(let path): "SQLite file \(path)"
        case .sqliteMemory: "in-memory SQLite"
        case .postgres(let url): "PostgreSQL \(DatabaseLocation.redacted(url))"
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// An open database with its migrations applied. Owns its connection pools; call `shutdown()` when done.
public final class StorageDatabase: Sendable {
    public let location: DatabaseLocation
    let databases: Databases
    let threadPool: NIOThreadPool
    let logger: Logger
    /// The file behind `.sqliteMemory`, deleted at shutdown.
    let scratchFile: String?

    private init(
        location: DatabaseLocation, databases: Databases, threadPool: NIOThreadPool, logger: Logger,
        scratchFile: String?
    ) {
        self.location = location
        self.databases = databases
        self.threadPool = threadPool
        self.logger = logger
        self.scratchFile = scratchFile
    }

    /// Whether the database is SQLite (a file, or a throw-away one).
    public var isSQLite: Bool {
        if case .postgres = location { return false }
        return true
    }

    /// Opens the database and brings its schema up to date.
    public static func open(_ location: DatabaseLocation, logger: Logger = StorageDatabase.defaultLogger) async throws
        -> StorageDatabase
    {
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let scratch = NSTemporaryDirectory() + "greencustoms-scratch-\(UUID().uuidString).sqlite"
        let databases = Databases(threadPool: threadPool, on: MultiThreadedEventLoopGroup.singleton)
        switch location {
        case .sqliteFile(let path):
            databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
        case .sqliteMemory:
            // A throw-away file, deleted at shutdown, run as the real file is (WAL, busy timeout): SQLite's shared
            // in-memory database locks whole tables and refuses a writer outright while another connection reads.
            databases.use(.sqlite(.file(scratch), sqlLogLevel: .trace), as: .sqlite)
        case .postgres(let url):
            // Up to 4 connections per event loop: a web app's requests, the job workers and the audit writer
            // overlap, and migrating holds one connection for its lock while it works on another.
            databases.use(try .postgres(url: url, maxConnectionsPerEventLoop: 4, sqlLogLevel: .trace), as: .psql)
        }
        let storage = StorageDatabase(
            location: location, databases: databases, threadPool: threadPool, logger: logger,
            scratchFile: location == .sqliteMemory ? scratch : nil)
        do {
            if storage.isSQLite { try await storage.prepareSQLiteFile() }
            try await storage.migrate()
        } catch {
            await storage.shutdown()
            throw StorageError(message: "cannot prepare the database (\(location)): \(String(reflecting: error))")
        }
        return storage
    }

    /// Warnings and errors only, unless `LOG_LEVEL` asks for more (`info`, `debug`, `trace`).
    public static var defaultLogger: Logger {
        var logger = Logger(label: "greencustoms.storage")
        logger.logLevel =
            ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        return logger
    }

    /// How long a SQLite connection waits for another connection's (or process's) write to end before it gives up
    /// with "database is locked". SQLiteNIO's own busy handler retries at once, for ever, spinning a thread.
    public static let sqliteBusyTimeoutMilliseconds = 5_000

    /// A SQLite file as an embedded web database wants it: write-ahead logging, so that readers never wait for a
    /// writer (a reference import holding the write lock for seconds no longer stalls every page), `synchronous =
    /// NORMAL` (durable at each checkpoint, never corrupt; the usual setting with WAL), and a busy timeout on every
    /// connection of the pool (one per event loop). WAL is a property of the file and stays once set.
    func prepareSQLiteFile() async throws {
        var loops = databases.eventLoopGroup.makeIterator()
        var first = true
        while let loop = loops.next() {
            guard let sql = databases.database(logger: logger, on: loop) as? any SQLDatabase else { return }
            try await sql.raw("PRAGMA busy_timeout = \(unsafeRaw: String(Self.sqliteBusyTimeoutMilliseconds))").run()
            if first {
                try await sql.raw("PRAGMA journal_mode = WAL").run()
                first = false
            }
            try await sql.raw("PRAGMA synchronous = NORMAL").run()
        }
    }

    /// The SQLite journal mode (`wal`), or nil on PostgreSQL.
    public func sqliteJournalMode() async throws -> String? {
        guard isSQLite, let sql = database as? any SQLDatabase else { return nil }
        return try await sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
    }

    /// A database handle for queries.
    public var database: any Database {
        databases.database(logger: logger, on: databases.eventLoopGroup.any())!
    }

    func migrate() async throws {
        // App servers (and tests) starting at once against one PostgreSQL database would otherwise create the same
        // tables at the same moment and fail: the first holds an advisory lock on one connection while it migrates,
        // the others wait for it and then find nothing left to do.
        if case .postgres = location, let sql = database as? any SQLDatabase {
            try await sql.withSession { session in
                try await session.raw("SELECT pg_advisory_lock(\(literal: Self.migrationLock))").run()
                do {
                    try await self.runMigrations()
                } catch {
                    try? await session.raw("SELECT pg_advisory_unlock(\(literal: Self.migrationLock))").run()
                    throw error
                }
                try await session.raw("SELECT pg_advisory_unlock(\(literal: Self.migrationLock))").run()
            }
            return
        }
        try await runMigrations()
    }

    /// The advisory lock key held while migrating ("GCmigr" in ASCII).
    static let migrationLock = 0x4743_6D69_6772

    private func runMigrations() async throws {
        let migrations = Migrations()
        StorageMigrations.register(on: migrations)
        let migrator = Migrator(
            databases: databases, migrations: migrations, logger: logger, on: databases.eventLoopGroup.any())
        try await migrator.setupIfNeeded().get()
        try await migrator.prepareBatch().get()
    }

    /// Runs one trivial query: throws when the database cannot be reached.
    public func ping() async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("SELECT 1").run()
    }

    /// What a health check says of the database.
    public enum Health: String, Sendable {
        /// It answered within the time allowed.
        case ok
        /// It did not answer in time (a long write holds it): the app still serves what it keeps in memory.
        case busy
        /// It answered with an error.
        case unreachable
    }

    /// Pings the database, waiting at most `timeout`: a health check must answer even while the database is busy.
    public func health(timeout: Duration = .seconds(1)) async -> Health {
        await withTaskGroup(of: Health.self) { group in
            group.addTask { (try? await self.ping()) == nil ? .unreachable : .ok }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .busy
            }
            let first = await group.next() ?? .busy
            group.cancelAll()
            return first
        }
    }

    public func shutdown() async {
        await databases.shutdownAsync()
        try? await threadPool.shutdownGracefully()
        if let scratchFile {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratchFile + suffix) }
        }
    }
}

public struct StorageError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
