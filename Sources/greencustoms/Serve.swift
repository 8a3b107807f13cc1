import ArgumentParser
import Foundation
import Vapor
import WebApp

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the web app: the Guide, look-up, screening and the API.",
        discussion: """
            Uses the embedded SQLite file by default; DATABASE_URL=postgres://… (or --database) runs the same app on \
            PostgreSQL, so that several app servers share one database. Migrations run on start. Stops gracefully on \
            SIGINT or SIGTERM.
            """)

    @ArgumentParser.Option(name: .long, help: "The address to listen on.")
    var hostname = "127.0.0.1"

    @ArgumentParser.Option(name: .long, help: "The port to listen on.")
    var port = 8080

    @ArgumentParser.Flag(name: .long, help: "Mark session cookies Secure (TLS is terminated in front of the app).")
    var secureCookies = false

    @ArgumentParser.Option(
        name: .long,
        help: ArgumentHelp(
            "Screening workers on this server: parts of screening jobs screened at once (0: this server only accepts jobs; another server sharing the database screens them).",
            valueName: "n"))
    var workers = 2

    @ArgumentParser.Option(
        name: .long,
        help: ArgumentHelp(
            "Log lines as json (one object a line, with the request id) or text; json when standard output is not a terminal.",
            valueName: "json|text"))
    var logFormat: String?

    @OptionGroup var databaseOptions: DatabaseOptions

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
        if let logFormat, !["json", "text"].contains(logFormat) {
            throw ValidationError("--log-format must be json or text")
        }
        guard (0...64).contains(workers) else { throw ValidationError("--workers must be from 0 to 64") }
    }

    func run() async throws {
        let name = ProcessInfo.processInfo.environment["GREENCUSTOMS_ENV"].flatMap { $0.isEmpty ? nil : $0 }
        var env = Environment(name: name ?? "production", arguments: ["greencustoms", "serve"])
        if (logFormat ?? (isatty(1) == 1 ? "text" : "json")) == "json" {
            let level =
                ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
            LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        } else {
            try LoggingSystem.bootstrap(from: &env)
        }
        let settings = WebSettings(
            secureCookies: secureCookies || ProcessInfo.processInfo.environment["SECURE_COOKIES"] == "1",
            concurrentJobs: workers, metricsToken: ProcessInfo.processInfo.environment["METRICS_TOKEN"])
        let services = try await WebServices.open(database: databaseOptions.database, settings: settings)
        let app = try await Application.make(env)
        app.http.server.configuration.hostname = hostname
        app.http.server.configuration.port = port
        // Housekeeping at start and every 5 minutes: expired sessions, uploads cut off, jobs left complete, old jobs.
        let logger = app.logger
        let housekeeping = Task {
            while !Task.isCancelled {
                await services.maintain(logger: logger)
                try? await Task.sleep(for: .seconds(300))
            }
        }
        defer { housekeeping.cancel() }
        do {
            try configure(app, services: services)
            try await app.execute()
        } catch {
            try? await app.asyncShutdown()
            await services.shutdown()
            throw error
        }
        try await app.asyncShutdown()
        await services.shutdown()
    }
}
