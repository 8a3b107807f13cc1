import Foundation
import GreenCustomsCore
import Screening
import Vapor

/// The server-rendered pages: home, look-up, item pages, sign-in, screening and the audit log. Every page works
/// without JavaScript; every form carries the CSRF token.
struct PageController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: home)
        routes.get("lookup", use: lookup)
        routes.get("items", ":id", use: item)
        routes.get("sign-in", use: signInForm)
        routes.post("sign-in", use: signIn)
        routes.post("sign-out", use: signOut)
        routes.get("screen", use: screenForm)
        routes.on(.POST, "screen", body: .collect(maxSize: nil), use: screen)
        routes.get("admin", "audit", use: auditLog)
        routes.get("api", use: apiPage)
    }

    /// What every page's layout needs.
    struct Layout: Encodable {
        var title: String
        var user: String?
        var role: String?
        var mayScreen: Bool
        var mayAudit: Bool
        var csrf: String
        var lang = "en"
        var dir = "ltr"
        var query = ""
    }

    /// The layout of a page. The CSRF token (which starts a session) is made only for pages with a form: the
    /// sign-out button of a signed-in person, or `form: true`. Anonymous reading starts no session.
    static func layout(_ request: Request, title: String, query: String = "", form: Bool = false) -> Layout {
        let account = request.caller?.account
        return Layout(
            title: title, user: account?.name, role: account?.role.title,
            mayScreen: account?.role.may(.screen) ?? false,
            mayAudit: account?.role.may(.readAudit) ?? false,
            csrf: account != nil || form ? CSRFMiddleware.token(for: request) : "", query: query)
    }

    @Sendable func home(request: Request) async throws -> View {
        struct Context: Encodable {
            var layout: Layout
            var regimes: [RegimeRow]
            var version: String
        }
        struct RegimeRow: Encodable {
            var id: String
            var title: String
            var count: Int
        }
        let set = request.services.reference.set
        var counts: [Regime: Int] = [:]
        for item in set.items { counts[item.regime, default: 0] += 1 }
        return try await request.view.render(
            "home",
            Context(
                layout: Self.layout(request, title: "Green Customs"),
                regimes: Regime.allCases.map { RegimeRow(id: $0.rawValue, title: $0.title, count: counts[$0] ?? 0) },
                version: set.version))
    }

    @Sendable func lookup(request: Request) async throws -> View {
        struct Row: Encodable {
            var id: String?
            var title: String
            var regime: String
            var listing: String
            var match: String
            var matched: String
            var explanation: String?
            var controlled: Bool
        }
        struct Context: Encodable {
            var layout: Layout
            var query: String
            var results: [Row]
            var notes: [String]
            var searched: Bool
        }
        let q = String(((try? request.query.get(String.self, at: "q")) ?? "").prefix(200))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var rows: [Row] = []
        var notes: [String] = []
        if !q.isEmpty {
            let response = request.services.reference.lookup.lookup(q, limit: 25)
            notes = response.notes
            rows = response.results.map {
                Row(
                    id: $0.item?.id, title: $0.title, regime: $0.regime.title, listing: $0.listing,
                    match: $0.match.rawValue.replacingOccurrences(of: "_", with: " "), matched: $0.matchedText,
                    explanation: $0.explanation, controlled: $0.item?.controlled ?? true)
            }
        }
        return try await request.view.render(
            "lookup",
            Context(
                layout: Self.layout(request, title: q.isEmpty ? "Look-up" : "\(q) — Look-up", query: q), query: q,
                results: rows, notes: notes, searched: !q.isEmpty))
    }

    @Sendable func item(request: Request) async throws -> View {
        struct Requirement: Encodable {
            var direction: String
            var document: String
            var description: String
        }
        struct Pair: Encodable {
            var label: String
            var value: String
        }
        struct Context: Encodable {
            var layout: Layout
            var item: LookupJSON.Result
            var regime: String
            var identifiers: [Pair]
            var names: [Pair]
            var requirements: [Requirement]
            /// Components of a blend: (item id, text).
            var related: [Pair]
        }
        let id = request.parameters.get("id") ?? ""
        let state = request.services.reference
        guard let item = state.item(id: id) else { throw Abort(.notFound, reason: "No item has the id \"\(id)\".") }
        let json = LookupJSON.item(item, in: state.set)
        var identifiers: [Pair] = []
        let ids = item.identifiers
        if !ids.cas.isEmpty {
            identifiers.append(Pair(label: "CAS number", value: ids.cas.map(\.text).joined(separator: ", ")))
        }
        if !ids.hs.isEmpty {
            identifiers.append(Pair(label: "HS 2022", value: ids.hs.map(\.formatted).joined(separator: ", ")))
        }
        if let a = ids.ashrae { identifiers.append(Pair(label: "ASHRAE designation", value: a.text)) }
        if let b = ids.basel { identifiers.append(Pair(label: "Basel code", value: b.text)) }
        if let l = ids.lmo { identifiers.append(Pair(label: "OECD unique identifier", value: l.text)) }
        if let f = ids.formula { identifiers.append(Pair(label: "Formula", value: f)) }
        var names: [Pair] = []
        if !item.names.synonyms.isEmpty {
            names.append(Pair(label: "Synonyms", value: item.names.synonyms.joined(separator: "; ")))
        }
        if !item.names.tradeNames.isEmpty {
            names.append(Pair(label: "Trade names", value: item.names.tradeNames.joined(separator: "; ")))
        }
        for (lang, list) in item.names.common.sorted(by: { $0.key < $1.key }) {
            names.append(Pair(label: "Common names (\(lang))", value: list.joined(separator: "; ")))
        }
        let related = item.composition.compactMap { c -> Pair? in
            guard let componentID = c.itemID, let component = state.item(id: componentID) else { return nil }
            return Pair(label: componentID, value: "\(component.names.preferred) (\(c.massPercent)%)")
        }
        return try await request.view.render(
            "item",
            Context(
                layout: Self.layout(request, title: item.names.preferred), item: json, regime: item.regime.title,
                identifiers: identifiers, names: names,
                requirements: state.set.requirements(for: item).map {
                    Requirement(direction: $0.direction.rawValue, document: $0.document, description: $0.description)
                }, related: related))
    }

    // MARK: Signing in

    @Sendable func signInForm(request: Request) async throws -> View {
        struct Context: Encodable {
            var layout: Layout
            var error: String?
            var name: String
            var next: String
        }
        let next = Self.safeNext((try? request.query.get(String.self, at: "next")) ?? "/")
        return try await request.view.render(
            "sign-in",
            Context(layout: Self.layout(request, title: "Sign in", form: true), error: nil, name: "", next: next))
    }

    @Sendable func signIn(request: Request) async throws -> Response {
        struct Form: Decodable {
            var name: String
            var password: String
            var next: String?
        }
        struct Context: Encodable {
            var layout: Layout
            var error: String?
            var name: String
            var next: String
        }
        let form = try request.content.decode(Form.self)
        let name = String(form.name.prefix(64))
        let next = Self.safeNext(form.next ?? "/")
        let services = request.services
        let address = request.clientAddress
        func refuse(_ message: String, status: HTTPResponseStatus, headers: HTTPHeaders = [:]) async throws -> Response
        {
            let view = try await request.view.render(
                "sign-in",
                Context(
                    layout: Self.layout(request, title: "Sign in", form: true), error: message, name: name, next: next))
            let response = try await view.encodeResponse(status: status, for: request)
            for (k, v) in headers { response.headers.replaceOrAdd(name: k, value: v) }
            return response
        }
        if let wait = await services.throttle.retryAfter(name: name, address: address) {
            await services.record(
                AuditEvent(
                    at: Date(), actor: name, action: .signInFailed, detail: "throttled", address: address),
                logger: request.logger)
            return try await refuse(
                "Too many failed attempts. Try again in \(max(1, wait / 60)) minute(s).", status: .tooManyRequests,
                headers: ["Retry-After": String(wait)])
        }
        let credentials = try await services.accounts.credentials(named: name)
        // Bcrypt runs even for an unknown name, so the time taken does not tell which names exist.
        let hash = credentials?.passwordHash ?? Self.decoyHash
        let valid = try await request.application.threadPool.runIfActive(eventLoop: request.eventLoop) {
            Secrets.verifyPassword(form.password, hash: hash)
        }.get()
        guard valid, let account = credentials?.account, !account.disabled else {
            await services.throttle.recordFailure(name: name, address: address)
            await services.record(
                AuditEvent(at: Date(), actor: name, action: .signInFailed, address: address), logger: request.logger)
            return try await refuse("The name or the password is wrong.", status: .unauthorized)
        }
        await services.throttle.recordSuccess(name: name)
        // A new session key on sign-in (no session fixation), with a new CSRF token: the old session is deleted
        // and the session middleware stores this one under a new key.
        if let old = request.session.id { try await services.sessions.delete(keyHash: Secrets.digest(old.string)) }
        request.session.id = nil
        request.session.data = SessionData(initialData: [
            "user": account.id.uuidString, "csrf": Secrets.newToken(prefix: ""),
        ])
        await services.record(
            AuditEvent(at: Date(), actor: account.name, action: .signIn, address: address), logger: request.logger)
        return request.redirect(to: next, redirectType: .normal)
    }

    @Sendable func signOut(request: Request) async throws -> Response {
        if let caller = request.caller {
            await request.services.record(
                AuditEvent(at: Date(), actor: caller.account.name, action: .signOut, address: request.clientAddress),
                logger: request.logger)
        }
        request.session.destroy()
        return request.redirect(to: "/", redirectType: .normal)
    }

    /// A Bcrypt hash of a random password, checked against when the name is unknown.
    static let decoyHash = (try? Secrets.hashPassword(Secrets.newToken())) ?? ""

    /// Only local paths are followed after signing in (no open redirect).
    static func safeNext(_ next: String) -> String {
        guard next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.count < 512 else { return "/" }
        return next
    }

    // MARK: Screening

    struct ScreenContext: Encodable {
        struct Row: Encodable {
            var lineID: String
            var lane: String
            var score: Int
            var findings: [String]
            var flags: [String]
        }
        var layout: Layout
        var text: String
        var rows: [Row]
        var errors: [String]
        var screened: Bool
        var summary: String
    }

    /// Sends an anonymous visitor to the sign-in page; a signed-in one without the permission gets 403.
    func requireScreening(_ request: Request) async throws -> Response? {
        guard request.caller != nil else {
            return request.redirect(
                to: "/sign-in?next="
                    + (request.url.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "/"))
        }
        _ = try await request.require(.screen)
        return nil
    }

    @Sendable func screenForm(request: Request) async throws -> Response {
        if let redirect = try await requireScreening(request) { return redirect }
        return try await request.view.render(
            "screen",
            ScreenContext(
                layout: Self.layout(request, title: "Screen declarations"), text: "", rows: [], errors: [],
                screened: false, summary: "")
        ).encodeResponse(for: request)
    }

    @Sendable func screen(request: Request) async throws -> Response {
        if let redirect = try await requireScreening(request) { return redirect }
        let account = try await request.require(.screen)
        struct Form: Decodable {
            var text: String?
            var file: File?
        }
        let form = try request.content.decode(Form.self)
        var input: [UInt8]
        var source = "pasted lines"
        if let body = request.body.data, body.readableBytes > request.services.settings.maximumBodyBytes {
            throw Abort(.payloadTooLarge)
        }
        if let file = form.file, file.data.readableBytes > 0 {
            input = Array(buffer: file.data)
            source = file.filename
        } else {
            input = Array((form.text ?? "").utf8)
        }
        if input.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw Abort(
                .unprocessableEntity,
                reason: "Paste declaration lines (CSV with a header row, or JSON Lines) or choose a file.")
        }
        let engine = request.services.reference.engine
        var results: [ScreeningResult] = []
        var errors: [String] = []
        var reader = DeclarationReader(source: MemorySource(input))
        var scratch = ScreeningEngine.Scratch()
        let limit = request.services.settings.maximumLinesPerRequest
        do {
            while true {
                let batch = try reader.next(maximum: 1024)
                if batch.isEmpty { break }
                for record in batch.records {
                    guard results.count < limit else { break }
                    results.append(engine.screen(record, scratch: &scratch))
                }
                errors += batch.errors.map { "Line \($0.lineNumber): \($0.message)" }
                if results.count >= limit {
                    errors.append(
                        "Only the first \(limit) lines were screened; use the API or the command line for larger files."
                    )
                    break
                }
            }
        } catch {
            errors.append(error.description)
        }
        var lanes: [Lane: Int] = [:]
        for r in results { lanes[r.lane, default: 0] += 1 }
        let summary =
            "\(results.count) lines: "
            + Lane.allCases.map { "\(lanes[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        await request.services.record(
            AuditEvent(
                at: Date(), actor: account.name, action: .screening, target: String(source.prefix(200)),
                detail: summary + (errors.isEmpty ? "" : "; \(errors.count) unreadable"), address: request.clientAddress
            ),
            logger: request.logger)
        let rows = results.map { r in
            ScreenContext.Row(
                lineID: r.lineID, lane: r.lane.rawValue, score: r.riskScore,
                findings: r.findings.map {
                    "\($0.regime.title): \($0.item) — \($0.certainty.rawValue), \($0.basis.rawValue) “\($0.evidence)”"
                },
                flags: r.flags.map(\.message))
        }
        return try await request.view.render(
            "screen",
            ScreenContext(
                layout: Self.layout(request, title: "Screening results"),
                text: form.file == nil ? String(decoding: input.prefix(200_000), as: UTF8.self) : "", rows: rows,
                errors: errors, screened: true, summary: summary)
        ).encodeResponse(for: request)
    }

    // MARK: Administration

    @Sendable func auditLog(request: Request) async throws -> Response {
        guard request.caller != nil else { return request.redirect(to: "/sign-in?next=/admin/audit") }
        _ = try await request.require(.readAudit)
        struct Row: Encodable {
            var at: String
            var actor: String
            var action: String
            var target: String
            var detail: String
            var address: String
        }
        struct Context: Encodable {
            var layout: Layout
            var rows: [Row]
            var page: Int
            var previous: Int?
            var next: Int?
            var total: Int
        }
        let perPage = 100
        let page = max(1, (try? request.query.get(Int.self, at: "page")) ?? 1)
        let audit = await request.services.auditLog()
        let total = try await audit.count()
        let events = try await audit.events(limit: perPage, offset: (page - 1) * perPage)
        let format = ISO8601DateFormatter()
        return try await request.view.render(
            "audit",
            Context(
                layout: Self.layout(request, title: "Audit log"),
                rows: events.map {
                    Row(
                        at: format.string(from: $0.at), actor: $0.actor, action: $0.action.rawValue, target: $0.target,
                        detail: $0.detail, address: $0.address)
                }, page: page, previous: page > 1 ? page - 1 : nil, next: page * perPage < total ? page + 1 : nil,
                total: total)
        ).encodeResponse(for: request)
    }

    @Sendable func apiPage(request: Request) async throws -> View {
        struct Operation: Encodable {
            var method: String
            var path: String
            var summary: String
            var auth: Bool
        }
        struct Context: Encodable {
            var layout: Layout
            var operations: [Operation]
        }
        var operations: [Operation] = []
        if let bytes = OpenAPIDocument.bytes,
            let doc = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any],
            let paths = doc["paths"] as? [String: [String: Any]]
        {
            for (path, methods) in paths.sorted(by: { $0.key < $1.key }) {
                for (method, body) in methods.sorted(by: { $0.key < $1.key }) {
                    let op = body as? [String: Any]
                    operations.append(
                        Operation(
                            method: method.uppercased(), path: path, summary: op?["summary"] as? String ?? "",
                            auth: op?["security"] != nil))
                }
            }
        }
        return try await request.view.render(
            "api", Context(layout: Self.layout(request, title: "API"), operations: operations))
    }
}

/// Errors on pages become a short HTML page with the status and the reason (escaped), never a stack trace.
struct PageErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let status: HTTPResponseStatus
            let reason: String
            if let abort = error as? any AbortError {
                status = abort.status
                reason = abort.reason
            } else {
                request.logger.error(
                    "page error on \(request.method) \(request.url.path): \(String(reflecting: error))")
                status = .internalServerError
                reason = "Something went wrong on the server."
            }
            struct Context: Encodable {
                var layout: PageController.Layout
                var status: Int
                var reason: String
            }
            let view = try await request.view.render(
                "error",
                Context(
                    layout: PageController.layout(request, title: "\(status.code) \(status.reasonPhrase)"),
                    status: Int(status.code), reason: reason))
            return try await view.encodeResponse(status: status, for: request)
        }
    }
}
