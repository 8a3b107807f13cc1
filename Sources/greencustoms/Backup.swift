import ArgumentParser
import Foundation
import GreenCustomsCore
import Storage

/// `greencustoms backup FILE`: a consistent copy of the live SQLite database, while the app keeps running.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a backup of the SQLite database to a new file (safe while the app runs).",
        discussion: "For PostgreSQL use pg_dump and pg_restore (Docs/operations.md).")

    @Argument(help: "The backup file to write (must not exist).")
    var file: String

    @OptionGroup var databaseOptions: DatabaseOptions

    func run() async throws {
        let location = try DatabaseLocation.resolve(
            option: databaseOptions.database, environment: ProcessInfo.processInfo.environment)
        let storage = try await StorageDatabase.open(location)
        do {
            try await Backup.write(storage, to: file)
            try await AuditLog(storage: storage).record(
                AuditEvent(at: Date(), actor: cliActor, action: .backup, target: file, detail: "backup written"))
            await storage.shutdown()
        } catch let problem as Backup.Problem {
            await storage.shutdown()
            printError("error: \(problem.message)")
            throw ExitCode(1)
        } catch {
            await storage.shutdown()
            throw error
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        print("Backup of \(location) written to \(file) (\(size) bytes).")
    }
}

/// `greencustoms restore FILE`: replaces the SQLite database with a backup (every server using it stopped first).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the SQLite database with a backup, after checking the backup (stop the servers first).")

    @Argument(help: "The backup file (from `greencustoms backup`).")
    var file: String

    @Flag(name: .long, help: "Restore even though the database looks open (a server that crashed left its files).")
    var force = false

    @OptionGroup var databaseOptions: DatabaseOptions

    func run() async throws {
        let location = try DatabaseLocation.resolve(
            option: databaseOptions.database, environment: ProcessInfo.processInfo.environment)
        guard case .sqliteFile(let path) = location else {
            printError("error: restore works on the embedded SQLite database; for PostgreSQL use pg_restore (see Docs/operations.md)")
            throw ExitCode(1)
        }
        do {
            try await Backup.restore(file, over: path, force: force)
        } catch let problem as Backup.Problem {
            printError("error: \(problem.message)\nNothing was changed.")
            throw ExitCode(1)
        }
        let storage = try await StorageDatabase.open(location)
        try await AuditLog(storage: storage).record(
            AuditEvent(at: Date(), actor: cliActor, action: .restore, target: file, detail: "restored over \(path)"))
        await storage.shutdown()
        print("Restored \(path) from \(file).")
    }
}
