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

    private init(location: DatabaseLocation, databases: Databases, threadPool: NIOThreadPool, logger: Logger) {
        self.location = location
        self.databases = databases
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Opens the database and brings its schema up to date.
    public static func open(_ location: DatabaseLocation, logger: Logger = StorageDatabase.defaultLogger) async throws
        -> StorageDatabase
    {
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let databases = Databases(threadPool: threadPool, on: MultiThreadedEventLoopGroup.singleton)
        switch location {
        case .sqliteFile(let path):
            databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
        case .sqliteMemory:
            databases.use(.sqlite(.memory, sqlLogLevel: .trace), as: .sqlite)
        case .postgres(let url):
            databases.use(try .postgres(url: url, sqlLogLevel: .trace), as: .psql)
        }
        let storage = StorageDatabase(location: location, databases: databases, threadPool: threadPool, logger: logger)
        do {
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

    /// A database handle for queries.
    public var database: any Database {
        databases.database(logger: logger, on: databases.eventLoopGroup.any())!
    }

    func migrate() async throws {
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

    public func shutdown() async {
        await databases.shutdownAsync()
        try? await threadPool.shutdownGracefully()
    }
}

public struct StorageError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
