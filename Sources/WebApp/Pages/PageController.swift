import Foundation
import GreenCustomsCore
import LeafKit
import Screening
import Vapor

/// The server-rendered pages: home, look-up, item pages, sign-in, the audit log and the API page. Every
/// page works without JavaScript and speaks the page language; every form carries the CSRF token.
struct PageController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: home)
        routes.get("lookup", use: lookup)
        routes.get("items", ":id", use: item)
        routes.get("sign-in", use: signInForm)
        routes.post("sign-in", use: signIn)
        routes.post("sign-out", use: signOut)
        routes.get("admin", "audit", use: auditLog)
        routes.get("api", use: apiPage)
    }

    @Sendable func home(request: Request) async throws -> View {
        struct RegimeRow: Encodable {
            var id: String
            var title: String
            var count: String
        }
        struct Context: Encodable {
            var regimes: [RegimeRow]
            var version: String
        }
        let set = request.services.reference.set
        var counts: [Regime: Int] = [:]
        for item in set.items { counts[item.regime, default: 0] += 1 }
        return try await request.page(
            "home", title: request.t("title_home"),
            Context(
                regimes: Regime.allCases.map {
                    RegimeRow(id: $0.rawValue, title: request.regimeTitle($0), count: request.number(counts[$0] ?? 0))
                }, version: set.version))
    }

    /// Stays on the event loop from the request to the rendered page: the most read page, by anyone, often while the
    /// officer is still typing.
    @Sendable func lookup(request: Request) throws -> EventLoopFuture<View> {
        let q = String((request.queryValue("q") ?? "").prefix(200)).trimmingCharacters(in: .whitespacesAndNewlines)
        var rows: [LeafData] = []
        var notes: [String] = []
        if !q.isEmpty {
            let response = request.services.reference.lookup.lookup(q, limit: 25)
            notes = response.notes
            // The rows go to Leaf as Leaf data: encoding 25 of them through an `Encodable` cost more than the search.
            rows = response.results.map {
                .dictionary([
                    "id": .string($0.item?.id), "title": .string($0.title),
                    "regime": .string(request.regimeTitle($0.regime)),
                    "listing": .string($0.listing),
                    "match": .string(String($0.match.rawValue.map { $0 == "_" ? " " : $0 })),
                    "matched": .string($0.matchedText), "explanation": .string($0.explanation),
                    "controlled": .bool($0.item?.controlled ?? true),
                ])
            }
        }
        let title = q.isEmpty ? request.t("lookup_title") : "\(q) — \(request.t("lookup_title"))"
        // `fragment=1`: only the results, for the page's script to put in place while the officer types.
        let fragment = request.queryValue("fragment") == "1"
        return request.renderPage(
            fragment ? "lookup-results" : "lookup", title: title, query: q,
            values: [
                "query": .string(q), "results": .array(rows), "notes": .array(notes.map { .string($0) }),
                "searched": .bool(!q.isEmpty), "noMatch": .string(request.t("no_match", ["query": q])),
            ])
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
            var item: LookupJSON.Result
            var regime: String
            var identifiers: [Pair]
            var names: [Pair]
            var requirements: [Requirement]
            /// Components of a blend: label = item id, value = text.
            var related: [Pair]
        }
        let id = request.parameters.get("id") ?? ""
        let state = request.services.reference
        guard let item = state.item(id: id) else {
            throw Abort(.notFound, reason: request.t("error_not_found_item", ["id": id]))
        }
        let ids = item.identifiers
        var identifiers: [Pair] = []
        func add(_ key: String, _ value: String?) {
            if let value, !value.isEmpty { identifiers.append(Pair(label: request.t(key), value: value)) }
        }
        add("id_cas", ids.cas.map(\.text).joined(separator: ", "))
        add("id_hs", ids.hs.map(\.formatted).joined(separator: ", "))
        add("id_ashrae", ids.ashrae?.text)
        add("id_basel", ids.basel?.text)
        add("id_lmo", ids.lmo?.text)
        add("id_formula", ids.formula)
        var names: [Pair] = []
        if !item.names.synonyms.isEmpty {
            names.append(Pair(label: request.t("names_synonyms"), value: item.names.synonyms.joined(separator: "; ")))
        }
        if !item.names.tradeNames.isEmpty {
            names.append(Pair(label: request.t("names_trade"), value: item.names.tradeNames.joined(separator: "; ")))
        }
        for (code, list) in item.names.common.sorted(by: { $0.key < $1.key }) {
            let language = Language(rawValue: code)?.nativeName ?? code
            names.append(
                Pair(label: request.t("names_common", ["language": language]), value: list.joined(separator: "; ")))
        }
        let related = item.composition.compactMap { c -> Pair? in
            guard let componentID = c.itemID, let component = state.item(id: componentID) else { return nil }
            return Pair(label: componentID, value: "\(component.names.preferred) (\(c.massPercent) %)")
        }
        return try await request.page(
            "item", title: item.names.preferred,
            Context(
                item: LookupJSON.item(item, in: state.set), regime: request.regimeTitle(item.regime),
                identifiers: identifiers, names: names,
                requirements: state.set.requirements(for: item).map {
                    Requirement(
                        direction: request.t("direction_" + $0.direction.rawValue), document: $0.document,
                        description: $0.description)
                }, related: related))
    }

    // MARK: Signing in

    struct SignInContext: Encodable {
        var error: String?
        var name: String
        var next: String
    }

    @Sendable func signInForm(request: Request) async throws -> View {
        let next = Self.safeNext((try? request.query.get(String.self, at: "next")) ?? "/")
        return try await request.page(
            "sign-in", title: request.t("signin_title"), form: true, SignInContext(error: nil, name: "", next: next))
    }

    @Sendable func signIn(request: Request) async throws -> Response {
        struct Form: Decodable {
            var name: String
            var password: String
            var next: String?
        }
        let form = try request.content.decode(Form.self)
        let name = String(form.name.prefix(64))
        let next = Self.safeNext(form.next ?? "/")
        let services = request.services
        let address = request.clientAddress
        func refuse(_ message: String, status: HTTPResponseStatus, headers: HTTPHeaders = [:]) async throws -> Response
        {
            let view = try await request.page(
                "sign-in", title: request.t("signin_title"), form: true,
                SignInContext(error: message, name: name, next: next))
            let response = try await view.encodeResponse(status: status, for: request)
            for (k, v) in headers { response.headers.replaceOrAdd(name: k, value: v) }
            return response
        }
        let attempt: SignInThrottle.Attempt
        switch await services.throttle.begin(name: name, address: address) {
        case .allowed(let allowed): attempt = allowed
        case .refused(let wait):
            services.record(
                AuditEvent(at: Date(), actor: name, action: .signInFailed, detail: "throttled", address: address),
                logger: request.logger)
            return try await refuse(
                request.t("signin_throttled", ["minutes": request.number(max(1, (wait + 59) / 60))]),
                status: .tooManyRequests, headers: ["Retry-After": String(wait)])
        }
        let credentials = try await services.accounts.credentials(named: name)
        // Bcrypt runs even for an unknown name, so the time taken does not tell which names exist.
        let hash = credentials?.passwordHash ?? Self.decoyHash
        let valid = try await request.application.threadPool.runIfActive(eventLoop: request.eventLoop) {
            Secrets.verifyPassword(form.password, hash: hash)
        }.get()
        guard valid, let account = credentials?.account, !account.disabled else {
            await services.throttle.finish(attempt, succeeded: false)
            services.record(
                AuditEvent(at: Date(), actor: name, action: .signInFailed, address: address), logger: request.logger)
            return try await refuse(request.t("signin_wrong"), status: .unauthorized)
        }
        await services.throttle.finish(attempt, succeeded: true)
        // A new session key on sign-in (no session fixation), with a new CSRF token: the old session is deleted
        // and the session middleware stores this one under a new key.
        if let old = request.session.id { try await services.sessions.delete(keyHash: Secrets.digest(old.string)) }
        request.session.id = nil
        request.session.data = SessionData(initialData: [
            "user": account.id.uuidString, "csrf": Secrets.newToken(prefix: ""),
        ])
        services.record(
            AuditEvent(at: Date(), actor: account.name, action: .signIn, address: address), logger: request.logger)
        return request.redirect(to: next, redirectType: .normal)
    }

    @Sendable func signOut(request: Request) async throws -> Response {
        if let caller = request.caller {
            request.services.record(
                AuditEvent(at: Date(), actor: caller.account.name, action: .signOut, address: request.clientAddress),
                logger: request.logger)
        }
        request.session.destroy()
        return request.redirect(to: "/", redirectType: .normal)
    }

    /// A Bcrypt hash of a random password, checked against when the name is unknown.
    static let decoyHash = (try? Secrets.hashPassword(Secrets.newToken())) ?? ""

    /// Only local paths are followed after signing in or switching language: a path that starts with one `/` and
    /// holds nothing but visible ASCII (no control character, space, backslash or non-ASCII text). A line break
    /// would let a caller write headers of its own into `Location` (a planted session cookie), and a tab or a
    /// backslash after the first `/` is read by browsers as `//`, another site. Anything else goes home.
    static func safeNext(_ next: String) -> String {
        let bytes = next.utf8
        guard bytes.count < 512, bytes.first == UInt8(ascii: "/"),
            bytes.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "\\") })
        else { return "/" }
        if bytes.count > 1, bytes.dropFirst().first == UInt8(ascii: "/") { return "/" }
        return next
    }

    // MARK: Access

    /// Sends an anonymous visitor to the sign-in page; a signed-in one without the permission gets 403.
    static func requireSignedIn(_ request: Request, _ permission: Permission) throws -> Response? {
        guard request.caller != nil else {
            let path = request.url.path.addingPercentEncoding(withAllowedCharacters: .pathAndQueryValue) ?? "/"
            return request.redirect(to: "/sign-in?next=" + path)
        }
        _ = try request.require(permission)
        return nil
    }

    // MARK: Administration

    @Sendable func auditLog(request: Request) async throws -> Response {
        if let redirect = try Self.requireSignedIn(request, .readAudit) { return redirect }
        struct Row: Encodable {
            var at: String
            var actor: String
            var action: String
            var target: String
            var detail: String
            var address: String
        }
        struct Context: Encodable {
            var rows: [Row]
            var page: Int
            var previous: Int?
            var next: Int?
            var countText: String
        }
        let perPage = 100
        let page = min(max(1, (try? request.query.get(Int.self, at: "page")) ?? 1), 1_000_000)
        let audit = await request.services.auditLog()
        let total = try await audit.count()
        let events = try await audit.events(limit: perPage, offset: (page - 1) * perPage)
        return try await request.page(
            "audit", title: request.t("audit_title"),
            Context(
                rows: events.map {
                    Row(
                        at: request.dateTime($0.at), actor: $0.actor, action: $0.action.rawValue, target: $0.target,
                        detail: $0.detail, address: $0.address)
                }, page: page, previous: page > 1 ? page - 1 : nil, next: page * perPage < total ? page + 1 : nil,
                countText: request.t("audit_count", ["count": request.number(total)]))
        ).encodeResponse(for: request)
    }

    @Sendable func apiPage(request: Request) async throws -> View {
        struct Operation: Encodable {
            var method: String
            var path: String
            var summary: String
            var auth: Bool
        }
        struct Context: Encodable { var operations: [Operation] }
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
        return try await request.page("api", title: request.t("api_title"), Context(operations: operations))
    }
}
