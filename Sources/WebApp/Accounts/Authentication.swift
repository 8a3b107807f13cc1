import Foundation
import GreenCustomsCore
import Vapor

/// Who is making a request: a signed-in person (session cookie) or an API client (bearer token).
struct Caller: Sendable {
    enum Via: Sendable { case session, token }
    var account: UserAccount
    var via: Via
}

extension Request {
    private struct CallerKey: StorageKey { typealias Value = Caller }

    /// The signed-in account, if any (set by `SessionUserMiddleware` or `BearerTokenMiddleware`).
    var caller: Caller? {
        get { storage[CallerKey.self] }
        set { storage[CallerKey.self] = newValue }
    }

    var services: WebServices { application.webServices }

    /// The client's address for the audit log and the sign-in throttle.
    var clientAddress: String { remoteAddress?.ipAddress ?? "-" }

    /// The account name for the audit log.
    var actorName: String { caller?.account.name ?? "-" }

    /// The caller's account, or 401 (not signed in) / 403 (signed in without `permission`).
    func require(_ permission: Permission) throws -> UserAccount {
        guard let caller else { throw Abort(.unauthorized, reason: t("error_sign_in")) }
        guard caller.account.role.may(permission) else {
            services.record(
                AuditEvent(
                    at: Date(), actor: caller.account.name, action: .accessDenied, target: url.path,
                    detail: "role \(caller.account.role.rawValue) lacks \(permission.rawValue)", address: clientAddress),
                logger: logger)
            throw Abort(.forbidden, reason: t("error_role", ["role": t("role_" + caller.account.role.rawValue)]))
        }
        return caller.account
    }
}

extension Application {
    private struct ServicesKey: StorageKey { typealias Value = WebServices }

    public var webServices: WebServices {
        get {
            guard let services = storage[ServicesKey.self] else {
                fatalError("configure(_:services:) sets the web services before any route runs")
            }
            return services
        }
        set { storage[ServicesKey.self] = newValue }
    }
}

/// Loads the signed-in account of a browser session (session key `user`). A disabled or deleted account ends the
/// session.
struct SessionUserMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        // `request.session` would start a session; only a request that came with one is looked at. Anonymous reading
        // stays on the event loop.
        guard request.hasSession, let id = request.session.data["user"].flatMap(UUID.init(uuidString:)) else {
            return next.respond(to: request)
        }
        let accounts = request.services.accounts
        return request.eventLoop.makeFutureWithTask { try await accounts.user(id: id) }
            .flatMap { account in
                if let account, !account.disabled {
                    request.caller = Caller(account: account, via: .session)
                } else {
                    request.session.destroy()
                }
                return next.respond(to: request)
            }
            .map { response in
                // What a signed-in person sees (job results, accounts, the audit log) is kept by no cache: not the
                // browser's, not a shared computer's back button, not a proxy.
                if request.caller != nil { response.headers.replaceOrAdd(name: .cacheControl, value: "no-store") }
                return response
            }
    }
}

/// Reads `Authorization: Bearer …`. A token that is unknown, revoked or of a disabled account is refused with 401
/// (the API never falls back to anonymous when a token was sent). A token checked in the last few seconds is known
/// without leaving the event loop; only a check against the database runs as a task.
struct BearerTokenMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard let token = Self.bearerToken(request.headers) else { return next.respond(to: request) }
        guard token.hasPrefix(Secrets.tokenPrefix) else {
            return request.eventLoop.makeFailedFuture(Self.refuse(request, "not a Green Customs token"))
        }
        let digest = Secrets.rawDigest(token)
        let services = request.services
        if let account = services.cachedTokenOwner(digest: digest) {
            request.caller = Caller(account: account, via: .token)
            return next.respond(to: request)
        }
        return request.eventLoop.makeFutureWithTask { try await services.tokenOwner(digest: digest) }
            .flatMap { account in
                guard let account else {
                    return request.eventLoop.makeFailedFuture(
                        Self.refuse(request, "token \(Secrets.displayPrefix(token))… unknown, revoked or disabled"))
                }
                request.caller = Caller(account: account, via: .token)
                return next.respond(to: request)
            }
    }

    /// The token of an `Authorization: Bearer …` header (the scheme in any case), as Vapor's `bearerAuthorization`
    /// reads it, without lower-casing the whole header on every request.
    static func bearerToken(_ headers: HTTPHeaders) -> String? {
        guard let value = headers.first(name: .authorization), value.utf8.count > 7,
            value.utf8.prefix(7).elementsEqual("bearer ".utf8, by: { $0 | 0x20 == $1 })
        else { return nil }
        return String(value.dropFirst(7).drop { $0 == " " })
    }

    /// The 401 for a token that does not act for anyone, recorded in the audit log (counted per address and
    /// token prefix: a client retrying a revoked token is one event per batch).
    static func refuse(_ request: Request, _ why: String) -> Abort {
        request.services.recordCounted(
            AuditEvent(
                at: Date(), actor: "-", action: .tokenRefused, target: String(request.url.path.prefix(200)),
                detail: why, address: request.clientAddress),
            logger: request.logger)
        return Abort(
            .unauthorized, headers: ["WWW-Authenticate": #"Bearer error="invalid_token""#],
            reason: "The API token is unknown or revoked.")
    }
}

/// Cross-site request forgery protection for the browser pages: every form carries a random token in the hidden
/// field `_csrf`; a POST whose field does not match is refused with 403 (and recorded in the audit log). A signed-in
/// session keeps its token in the session; an anonymous visitor's form (the sign-in page) keeps it in the cookie
/// `gc_csrf` instead (a double-submit cookie), so that looking at the sign-in page writes nothing to the database.
/// API routes are exempt: they authenticate with a bearer token, which a browser never sends on its own.
struct CSRFMiddleware: Middleware {
    static let field = "_csrf"
    static let cookie = "gc_csrf"
    /// A route's `userInfo` key for its body limit in bytes, when it is not the default (set by `RoutesBuilder.upload`).
    static let bodyLimitKey: AnySendableHashable = "greencustoms.bodyLimit"
    /// A route's `userInfo` key saying that the route reads its form as it streams and checks the token itself
    /// (`isValid`), before it keeps anything: only a signed-in caller gets that far.
    static let checkedByRouteKey: AnySendableHashable = "greencustoms.csrfCheckedByRoute"
    /// The most of a form's body collected for someone not signed in (a sign-in form is well under 1 KiB).
    static let anonymousFormLimit = 64 << 10

    private struct NewCookieKey: StorageKey { typealias Value = String }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard [.POST, .PUT, .PATCH, .DELETE].contains(request.method) else {
            return next.respond(to: request).map { Self.setCookie(on: $0, for: request) }
        }
        if request.route?.userInfo[Self.checkedByRouteKey] as? Bool == true {
            guard request.caller != nil else { return request.eventLoop.makeFailedFuture(Self.refuse(request)) }
            return next.respond(to: request)
        }
        // A body that arrived in several parts is still streaming: it is collected to read the form's field, up to
        // the route's own limit for a signed-in caller, and up to `anonymousFormLimit` for anyone else (a sign-in
        // form on a slow line arrives in pieces too), so that no one without an account makes the server hold more.
        let collected: EventLoopFuture<Void>
        if request.body.data == nil {
            let limit =
                request.caller == nil
                ? Self.anonymousFormLimit
                : request.route?.userInfo[Self.bodyLimitKey] as? Int
                    ?? request.application.routes.defaultMaxBodySize.value
            collected = request.body.collect(max: limit).map { _ in }
        } else {
            collected = request.eventLoop.makeSucceededVoidFuture()
        }
        return collected.flatMapThrowing {
            guard Self.isValid(Self.sentToken(request), for: request) else { throw Self.refuse(request) }
        }
        .flatMap { next.respond(to: request) }
        .map { Self.setCookie(on: $0, for: request) }
    }

    /// The 403 for a form without the right token, recorded in the audit log (counted per caller and address, so
    /// that a flood of forged posts is one event per batch, not one row each).
    static func refuse(_ request: Request) -> Abort {
        request.services.recordCounted(
            AuditEvent(
                at: Date(), actor: request.actorName, action: .csrfRefused, target: String(request.url.path.prefix(200)),
                detail: "\(request.method.rawValue) without a valid form token", address: request.clientAddress),
            logger: request.logger)
        return Abort(.forbidden, reason: request.t("error_form_expired"))
    }

    /// Whether `sent` is the token this request's form must carry.
    static func isValid(_ sent: String?, for request: Request) -> Bool {
        guard let expected = expectedToken(request), let sent else { return false }
        return Secrets.constantTimeEqual(sent, expected)
    }

    /// The token the form must carry: the session's, else (no session token: an anonymous visitor) the cookie's.
    /// Nil when neither exists: nothing sent is accepted.
    static func expectedToken(_ request: Request) -> String? {
        if request.hasSession, let token = request.session.data["csrf"] { return token }
        guard request.caller == nil, let cookie = request.cookies[Self.cookie]?.string, isWellFormed(cookie) else {
            return nil
        }
        return cookie
    }

    /// The token for the forms of this page, made on first use: in the session when signed in, in the `gc_csrf`
    /// cookie for an anonymous visitor (set on the response by the middleware).
    static func token(for request: Request) -> String {
        if request.caller != nil || (request.hasSession && request.session.data["csrf"] != nil) {
            if let token = request.session.data["csrf"] { return token }
            let token = Secrets.newToken(prefix: "")
            request.session.data["csrf"] = token
            return token
        }
        if let made = request.storage[NewCookieKey.self] { return made }
        if let cookie = request.cookies[Self.cookie]?.string, isWellFormed(cookie) { return cookie }
        let token = Secrets.newToken(prefix: "")
        request.storage[NewCookieKey.self] = token
        return token
    }

    /// A token as `Secrets.newToken` makes them: 43 characters of URL-safe base64.
    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 43
            && token.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F
            }
    }

    /// Sets the `gc_csrf` cookie when this request made a token for an anonymous form.
    static func setCookie(on response: Response, for request: Request) -> Response {
        if let token = request.storage[NewCookieKey.self] {
            response.cookies[Self.cookie] = HTTPCookies.Value(
                string: token, maxAge: Int(request.services.settings.sessionLifetime), path: "/",
                isSecure: request.services.settings.secureCookies, isHTTPOnly: true, sameSite: .strict)
        }
        return response
    }

    /// The token a form sent (urlencoded or multipart), or the `X-CSRF-Token` header.
    static func sentToken(_ request: Request) -> String? {
        if let header = request.headers.first(name: "X-CSRF-Token") { return header }
        struct Form: Decodable { var _csrf: String? }
        return (try? request.content.decode(Form.self))?._csrf
    }
}

extension RoutesBuilder {
    /// A POST route whose body (a form with a file) may be up to `limit` bytes: collected whole, with the limit
    /// known to `CSRFMiddleware`, which reads the form before the route does.
    @discardableResult
    func upload<Response: AsyncResponseEncodable>(
        _ path: PathComponent..., limit: Int, use handler: @Sendable @escaping (Request) async throws -> Response
    ) -> Route {
        let route = on(.POST, path, body: .collect(maxSize: ByteCount(integerLiteral: limit)), use: handler)
        route.userInfo[CSRFMiddleware.bodyLimitKey] = limit
        return route
    }
}
