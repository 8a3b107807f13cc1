import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Storage
import Testing
import VaporTesting

@testable import WebApp

/// A web app on a fresh in-memory SQLite database with the bundled lists, and helpers to call it.
struct WebHarness {
    let app: Application
    let services: WebServices

    /// One Bcrypt hash of `password`, made once: hashing at cost 12 for every account would slow the tests.
    static let password = "correct horse battery staple"
    static let passwordHash: String = (try? Secrets.hashPassword(password)) ?? ""

    static func run(
        settings: WebSettings = WebSettings(), clock: @escaping @Sendable () -> Date = { Date() },
        _ body: (WebHarness) async throws -> Void
    ) async throws {
        let storage = try await StorageDatabase.open(.sqliteMemory)
        let services = WebServices(storage: storage, reference: Fixtures.bundled.set, settings: settings, clock: clock)
        let app = try await Application.make(.testing)
        do {
            try configure(app, services: services)
            try await body(WebHarness(app: app, services: services))
        } catch {
            try? await app.asyncShutdown()
            await services.shutdown()
            throw error
        }
        try await app.asyncShutdown()
        await services.shutdown()
    }

    /// Creates an account with `password` and returns a new API token for it.
    @discardableResult
    func account(_ name: String, role: Role) async throws -> String {
        try await services.accounts.createUser(name: name, role: role, passwordHash: Self.passwordHash)
        let token = Secrets.newToken()
        try await services.accounts.createToken(
            owner: name, label: "test", prefix: Secrets.displayPrefix(token), tokenHash: Secrets.digest(token))
        return token
    }

    func send(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil,
        cookie: String? = nil, cookies: [String: String] = [:]
    ) async throws -> TestingHTTPResponse {
        var h = HTTPHeaders(headers)
        var all = cookies
        if let cookie { all["gc_session"] = cookie }
        if !all.isEmpty {
            h.replaceOrAdd(name: .cookie, value: all.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: "; "))
        }
        var buffer = ByteBuffer()
        if let body { buffer.writeString(body) }
        return try await app.testing().performTest(
            request: TestingHTTPRequest(method: method, url: URI(string: path), headers: h, body: buffer))
    }

    /// POST /api/v1/screenings with a JSON body.
    func screen(_ json: String, token: String?) async throws -> TestingHTTPResponse {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try await send(.POST, "/api/v1/screenings", headers: headers, body: json)
    }

    /// A browser: keeps its cookies (the session's, the anonymous form token's) and the last CSRF token seen on a
    /// page.
    final class Browser: @unchecked Sendable {
        let harness: WebHarness
        var cookies: [String: String] = [:]
        var csrf: String?

        init(_ harness: WebHarness) { self.harness = harness }

        /// The session cookie.
        var cookie: String? {
            get { cookies["gc_session"] }
            set { cookies["gc_session"] = newValue }
        }

        func get(_ path: String) async throws -> TestingHTTPResponse {
            let response = try await harness.send(.GET, path, cookies: cookies)
            remember(response)
            return response
        }

        func post(_ path: String, form: [(String, String)], csrf sendToken: Bool = true) async throws
            -> TestingHTTPResponse
        {
            var fields = form
            if sendToken, let csrf { fields.append(("_csrf", csrf)) }
            let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            let response = try await harness.send(
                .POST, path, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body,
                cookies: cookies)
            remember(response)
            return response
        }

        /// A multipart/form-data POST (a file upload), with the CSRF token.
        func postFile(_ path: String, field: String, filename: String, content: [UInt8], form: [(String, String)] = [])
            async throws -> TestingHTTPResponse
        {
            let boundary = "----gc-test-boundary-7MA4YWxkTrZu0gW"
            var body: [UInt8] = []
            var fields = form
            if let csrf { fields.append(("_csrf", csrf)) }
            for (name, value) in fields {
                body += Array(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
            }
            body += Array(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    .utf8)
            body += content
            body += Array("\r\n--\(boundary)--\r\n".utf8)
            var headers = HTTPHeaders([("Content-Type", "multipart/form-data; boundary=\(boundary)")])
            if !cookies.isEmpty {
                headers.replaceOrAdd(
                    name: .cookie, value: cookies.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: "; "))
            }
            var buffer = ByteBuffer()
            buffer.writeBytes(body)
            let response = try await harness.app.testing().performTest(
                request: TestingHTTPRequest(method: .POST, url: URI(string: path), headers: headers, body: buffer))
            remember(response)
            return response
        }

        /// Signs in through the form; returns the response to the POST.
        @discardableResult
        func signIn(_ name: String, password: String = WebHarness.password) async throws -> TestingHTTPResponse {
            _ = try await get("/sign-in")
            return try await post("/sign-in", form: [("name", name), ("password", password)])
        }

        /// Follows the redirect of a screening to its job page and waits until the job is done (or 10 s passed);
        /// returns the job page.
        func finishedJob(_ submitted: TestingHTTPResponse) async throws -> TestingHTTPResponse {
            let location = submitted.headers.first(name: .location) ?? ""
            #expect(location.hasPrefix("/screen/jobs/"), "a screening goes to its job page, not \(location)")
            for _ in 0..<200 {
                let progress = try await get(location + "/progress")
                if let status = progress.json["status"] as? String, status == "done" || status == "failed" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            return try await get(location)
        }

        func remember(_ response: TestingHTTPResponse) {
            for name in ["gc_session", "gc_csrf"] {
                if let cookie = response.headers.setCookie?[name] {
                    cookies[name] = cookie.string.isEmpty ? nil : cookie.string
                }
            }
            if let range = response.body.string.range(of: #"name="_csrf" value=""#) {
                let rest = response.body.string[range.upperBound...]
                if let end = rest.firstIndex(of: "\"") { csrf = String(rest[..<end]) }
            }
        }

        static func encode(_ text: String) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
        }
    }
}

extension TestingHTTPResponse {
    /// The body as JSON.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.string.utf8)) as? [String: Any]) ?? [:]
    }
}

/// A clock that stands still until a test moves it.
final class ManualClock: Sendable {
    private let time = Locked(Date(timeIntervalSince1970: 1_800_000_000))

    var now: Date {
        get { time.value }
        set { time.value = newValue }
    }

    var read: @Sendable () -> Date { { self.time.value } }
}
