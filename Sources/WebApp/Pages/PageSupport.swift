import Foundation
import GreenCustomsCore
import LeafKit
import Vapor

/// What every page's layout needs.
struct Layout: Encodable {
    struct LanguageLink: Encodable {
        var code: String
        var name: String
        var current: Bool
    }
    var title: String
    var user: String?
    var role: String?
    var mayScreen: Bool
    var mayAudit: Bool
    var mayManage: Bool
    var csrf: String
    var lang: String
    var dir: String
    var query: String
    var languages: [LanguageLink]
    /// This page's path and query, percent-encoded, for the language switcher to come back to.
    var here: String
    /// The page reloads itself every few seconds when scripts are off (a job's page while it runs).
    var refresh: Bool = false
    /// The style sheet and the script, linked with their version (see `StaticFiles`).
    var styleLink = StaticFiles.link("/style.css")
    var scriptLink = StaticFiles.link("/app.js")
}

extension Layout {
    /// The layout as Leaf reads it (the keys of its `Encodable` form), built without an encoder: see `renderPage`'s
    /// variant that takes Leaf values.
    var leafData: LeafData {
        .dictionary([
            "title": .string(title), "user": .string(user), "role": .string(role), "mayScreen": .bool(mayScreen),
            "mayAudit": .bool(mayAudit), "mayManage": .bool(mayManage), "csrf": .string(csrf), "lang": .string(lang),
            "dir": .string(dir), "query": .string(query),
            "languages": .array(
                languages.map {
                    .dictionary(["code": .string($0.code), "name": .string($0.name), "current": .bool($0.current)])
                }),
            "here": .string(here), "refresh": .bool(refresh), "styleLink": .string(styleLink),
            "scriptLink": .string(scriptLink),
        ])
    }
}

/// A page's context: its own values, plus `layout` and the interface texts of the page language as `t`.
struct Page<Body: Encodable>: Encodable {
    var layout: Layout
    var t: [String: String]
    var body: Body

    func encode(to encoder: any Encoder) throws {
        try body.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(layout, forKey: .layout)
        try container.encode(t, forKey: .t)
    }

    enum Keys: String, CodingKey { case layout, t }
}

/// The interface texts each template uses (`t.key` in it, in `base.leaf` and in the templates it extends), so that
/// a page hands Leaf a few dozen texts instead of the whole table: encoding the table for Leaf was most of the cost
/// of a small page. Read from the templates once, then kept per template and language.
final class TemplateTexts: Sendable {
    static let shared = TemplateTexts()
    private let tables = Locked<[String: [String: String]]>([:])
    private let leafTables = Locked<[String: LeafData]>([:])

    /// `table` as Leaf reads it, made once per template and language.
    func leafTable(_ template: String, _ language: Language) -> LeafData {
        let key = language.rawValue + "/" + template
        if let table = leafTables.value[key] { return table }
        let table = LeafData.dictionary(self.table(template, language).mapValues { .string($0) })
        leafTables.update { $0[key] = table }
        return table
    }

    func table(_ template: String, _ language: Language) -> [String: String] {
        let key = language.rawValue + "/" + template
        if let table = tables.value[key] { return table }
        let all = Localizer.shared.table(language)
        var keys = Self.keys(template)
        keys.formUnion(Self.keys("base"))
        // A template that cannot be read (it then fails to render anyway) gets the whole table.
        let table = keys.isEmpty ? all : all.filter { keys.contains($0.key) }
        tables.update { $0[key] = table }
        return table
    }

    /// The `t.` keys of `template` and of the templates it extends, read from `Views/`.
    static func keys(_ template: String, seen: Set<String> = []) -> Set<String> {
        guard !seen.contains(template),
            let url = WebResources.directory?.appendingPathComponent("Views/\(template).leaf"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        var keys = Set(text.matches(of: /t\.([A-Za-z0-9_\-]+)/).map { String($0.output.1) })
        for match in text.matches(of: /#extend\("([A-Za-z0-9_\-]+)"\)/) {
            keys.formUnion(Self.keys(String(match.output.1), seen: seen.union([template])))
        }
        return keys
    }
}

/// A page with nothing of its own.
struct NoValues: Encodable {}

extension Request {
    /// The layout of a page. The CSRF token (which starts a session) is made only for pages with a form: the
    /// sign-out button of a signed-in person, or `form: true`. Anonymous reading starts no session.
    func layout(title: String, query: String = "", form: Bool = false) -> Layout {
        let account = caller?.account
        var here = url.path
        if let q = url.query, !q.isEmpty { here += "?" + q }
        return Layout(
            title: title, user: account?.name, role: account.map { t("role_" + $0.role.rawValue) },
            mayScreen: account?.role.may(.screen) ?? false, mayAudit: account?.role.may(.readAudit) ?? false,
            mayManage: account?.role.may(.manageAccounts) ?? false,
            csrf: account != nil || form ? CSRFMiddleware.token(for: self) : "", lang: language.rawValue,
            dir: language.direction, query: query,
            languages: Language.allCases.map {
                Layout.LanguageLink(code: $0.rawValue, name: $0.nativeName, current: $0 == language)
            }, here: here.addingPercentEncoding(withAllowedCharacters: .pathAndQueryValue) ?? "/")
    }

    /// Renders `template` with `body`, the layout and the page language's texts.
    func page<Body: Encodable>(
        _ template: String, title: String, query: String = "", form: Bool = false, refresh: Bool = false,
        _ body: Body
    ) async throws -> View {
        try await renderPage(template, title: title, query: query, form: form, refresh: refresh, body).get()
    }

    /// `page`, for a handler that stays on its event loop (a page read often and by anyone, like the look-up).
    func renderPage<Body: Encodable>(
        _ template: String, title: String, query: String = "", form: Bool = false, refresh: Bool = false,
        _ body: Body
    ) -> EventLoopFuture<View> {
        var layout = layout(title: title, query: query, form: form)
        layout.refresh = refresh
        return view.render(
            template, Page(layout: layout, t: TemplateTexts.shared.table(template, language), body: body))
    }

    /// `renderPage` for a page that gives its own values as Leaf data (`values`, next to `layout` and `t`) instead of
    /// an `Encodable`: for the look-up page, whose result rows cost more to encode for Leaf than to find.
    func renderPage(
        _ template: String, title: String, query: String = "", values: [String: LeafData]
    ) -> EventLoopFuture<View> {
        var context = values
        context["layout"] = layout(title: title, query: query).leafData
        context["t"] = TemplateTexts.shared.leafTable(template, language)
        return leaf.render(path: template, context: context).map { View(data: $0) }
    }

    /// The value of the query parameter `name`, read as Vapor's `query.get` reads it: the last one given, `+` as a
    /// space, percent escapes decoded (nil when they are not UTF-8); nil when absent. `query.get` decodes the whole
    /// query through a `Decoder`, which cost the look-up page a twentieth of its time.
    func queryValue(_ name: String) -> String? {
        guard let query = url.query else { return nil }
        var value: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == name else { continue }
            let raw = parts.count > 1 ? parts[1].replacingOccurrences(of: "+", with: " ") : ""
            value = raw.removingPercentEncoding
        }
        return value
    }

    /// An agreement's name in the page language.
    func regimeTitle(_ regime: Regime) -> String { t("regime_" + regime.rawValue) }
}

/// Errors on pages become a short HTML page in the page language with the status and the reason (escaped), never
/// a stack trace.
struct PageErrorMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapError { error in
            let status: HTTPResponseStatus
            let reason: String
            if let abort = error as? any AbortError {
                status = abort.status
                reason = abort.reason
                if status == .payloadTooLarge { request.recordBodyTooLarge(limit: request.bodyLimit) }
            } else {
                request.logger.error(
                    "page error on \(request.method) \(request.url.path): \(String(reflecting: error))")
                status = .internalServerError
                reason = request.t("error_server")
            }
            struct Context: Encodable {
                var status: Int
                var reason: String
            }
            return request.renderPage(
                "error", title: "\(status.code) \(status.reasonPhrase)",
                Context(status: Int(status.code), reason: reason)
            )
            .flatMap { $0.encodeResponse(status: status, for: request) }
        }
    }
}

/// `GET /language/{code}?back=/path`: remembers the chosen language in a cookie and goes back.
struct LanguageController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("language", ":code", use: choose)
    }

    @Sendable func choose(request: Request) async throws -> Response {
        guard let language = request.parameters.get("code").flatMap(Language.init(rawValue:)) else {
            throw Abort(.notFound)
        }
        let back = PageController.safeNext((try? request.query.get(String.self, at: "back")) ?? "/")
        let response = request.redirect(to: back, redirectType: .normal)
        response.cookies["gc_lang"] = HTTPCookies.Value(
            string: language.rawValue, maxAge: 365 * 24 * 3600, path: "/",
            isSecure: request.services.settings.secureCookies, isHTTPOnly: true, sameSite: .lax)
        return response
    }
}

extension CharacterSet {
    /// What a path may keep unescaped when it travels as one query value (`?next=`, `?back=`): unreserved characters
    /// and `/`; `?`, `&`, `=` and `%` are escaped.
    static let pathAndQueryValue: CharacterSet = {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return allowed
    }()
}
