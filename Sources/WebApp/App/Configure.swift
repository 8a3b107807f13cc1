import Foundation
import Leaf
import LeafKit
import Vapor

/// Sets up the web app on `app`: middleware, sessions, views and every route.
public func configure(_ app: Application, services: WebServices) throws {
    app.webServices = services
    services.startWorkers(logger: app.logger)
    app.routes.defaultMaxBodySize = ByteCount(integerLiteral: services.settings.maximumBodyBytes)
    app.http.server.configuration.responseCompression = .enabled
    app.http.server.configuration.requestDecompression = .enabled(limit: .ratio(10))
    // No metrics backend is set up (swift-metrics would discard them): Vapor's per-request counter and timer, with
    // their path strings, were built for nothing.
    app.http.server.configuration.reportMetrics = false

    // Views and static files ship inside the binary's resource bundle.
    guard let resources = WebResources.directory else {
        throw Abort(.internalServerError, reason: "the web app's resources (Web/) are missing from the build")
    }
    app.logger.debug("web resources at \(resources.path)")
    app.views.use(.leaf)
    app.leaf.sources = LeafSources.singleSource(
        NIOLeafFiles(
            fileio: app.fileio, limits: [.toSandbox, .requireExtensions], sandboxDirectory: resources.path,
            viewDirectory: resources.appendingPathComponent("Views").path))
    app.leaf.cache.isEnabled = app.environment.isRelease

    app.middleware = Middlewares()
    // One line per request at debug level (LOG_LEVEL=debug): at info it cost a sixth of the throughput under load,
    // and a proxy in front usually keeps access logs. Security events go to the audit log whatever the level.
    app.middleware.use(RouteLoggingMiddleware(logLevel: .debug))
    app.middleware.use(MetricsMiddleware(metrics: services.metrics))
    // Outside the error middleware, so that its answers (404 for an unknown path) carry the headers too.
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(ErrorMiddleware.default(environment: app.environment))
    app.middleware.use(MethodNotAllowedMiddleware())
    guard let files = StaticFiles.bundled else {
        throw Abort(.internalServerError, reason: "the web app's static files (Web/Public) cannot be read")
    }
    app.middleware.use(files)

    app.sessions.use { _ in StoredSessions(store: services.sessions, lifetime: services.settings.sessionLifetime) }
    let secure = services.settings.secureCookies
    let lifetime = services.settings.sessionLifetime
    app.sessions.configuration = SessionsConfiguration(cookieName: "gc_session") { id in
        HTTPCookies.Value(
            string: id.string, expires: Date() + lifetime, maxAge: Int(lifetime), domain: nil, path: "/",
            isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    // The API: bearer tokens, problem+json, no cookies.
    let api = app.grouped(ProblemMiddleware(), BearerTokenMiddleware())
    try api.register(collection: APIController())
    try api.register(collection: JobsAPIController(maximumUpload: services.settings.maximumUploadBytes))
    api.get("api", "openapi.json") { _ in try OpenAPIDocument.response() }

    // Pages: sessions, the signed-in account, CSRF on every form.
    let pages = app.grouped(
        PageErrorMiddleware(), app.sessions.middleware, SessionUserMiddleware(), CSRFMiddleware())
    try pages.register(collection: PageController())
    try pages.register(collection: ScreeningController(maximumUpload: services.settings.maximumUploadBytes))
    try pages.register(collection: AccountsController())
    try pages.register(collection: ReferenceController())
    try pages.register(collection: LanguageController())
    try pages.register(collection: GuideController())

    // Answers within about a second whatever the database is doing: 200 while the app can serve (the database ok, or
    // busy with a long write, which pages read from memory survive), 503 when the database fails.
    app.get("metrics") { request async throws -> Response in try await request.services.metricsResponse(request) }

    app.get("healthz") { request async -> Response in
        let database = await request.services.storage.health()
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.cacheControl = .init(noStore: true)
        let status = database == .unreachable ? "unavailable" : "ok"
        let body =
            #"{"status":"\#(status)","database":"\#(database.rawValue)","reference_version":"\#(request.services.reference.set.version)"}"#
        return Response(
            status: database == .unreachable ? .serviceUnavailable : .ok, headers: headers, body: .init(string: body))
    }
}

/// Headers every response carries: no framing, no sniffing, no third-party anything (pages load nothing from other
/// sites: no CDN, no fonts).
struct SecurityHeadersMiddleware: Middleware {
    static let headers: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in
            // One read and one write: each access to `Response.headers` takes a lock and copies them.
            var headers = response.headers
            for (name, value) in Self.headers where !headers.contains(name: name) {
                headers.add(name: name, value: value)
            }
            response.headers = headers
            return response
        }
    }
}

/// A method the app does not take on a path it knows (TRACE, or DELETE on a screening) is 405 with `Allow` naming the
/// methods it does take, not 404: the path exists, the method does not (RFC 9110 §15.5.6).
struct MethodNotAllowedMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapError { error in
            guard (error as? any AbortError)?.status == .notFound, request.route == nil else {
                return request.eventLoop.makeFailedFuture(error)
            }
            let allowed = Self.methods(for: request.url.path, in: request.application.routes.all)
            guard !allowed.isEmpty else { return request.eventLoop.makeFailedFuture(error) }
            let allow = (allowed.contains(.GET) ? ["GET", "HEAD"] : []) + allowed.filter { $0 != .GET }.map(\.rawValue)
            return request.eventLoop.makeFailedFuture(
                Abort(
                    .methodNotAllowed, headers: ["Allow": allow.joined(separator: ", ")],
                    reason: "\(request.method.rawValue) is not allowed here; use \(allow.joined(separator: " or "))."))
        }
    }

    /// The methods of the routes whose path pattern matches `path`.
    static func methods(for path: String, in routes: [Route]) -> [HTTPMethod] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods: [HTTPMethod] = []
        for route in routes where matches(segments, route.path) && !methods.contains(route.method) {
            methods.append(route.method)
        }
        return methods.sorted { $0.rawValue < $1.rawValue }
    }

    static func matches(_ segments: [Substring], _ pattern: [PathComponent]) -> Bool {
        var k = 0
        for component in pattern {
            switch component {
            case .catchall: return k < segments.count
            case .constant(let text):
                guard k < segments.count, segments[k] == text else { return false }
            case .parameter, .anything:
                guard k < segments.count else { return false }
            }
            k += 1
        }
        return k == segments.count
    }
}

/// Where the views, static files and the OpenAPI document are: `Web/` in the target's resource bundle.
enum WebResources {
    static let directory: URL? = [Bundle.module.resourceURL, Bundle.module.bundleURL].compactMap { $0 }
        .map { $0.appendingPathComponent("Web") }
        .first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("Views/base.leaf").path) }
}

/// The OpenAPI document, from the resource bundle.
enum OpenAPIDocument {
    static let bytes: Data? = WebResources.directory.flatMap {
        try? Data(contentsOf: $0.appendingPathComponent("openapi.json"))
    }

    static func response() throws -> Response {
        guard let bytes else { throw Abort(.internalServerError, reason: "the OpenAPI document is missing") }
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: bytes))
    }
}
