import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Testing
import VaporTesting

@testable import WebApp

/// The holes found by probing the app as an attacker would, each held shut: header injection and open redirects
/// through `next` and `back`, parallel password guessing, lock-outs by strangers, sessions outliving a new password
/// or role, anonymous session rows, cached signed-in pages and unrecorded refusals.
@Suite("Hardening")
struct HardeningTests {
    @Test(
        "Only a local path is followed after sign-in or a language switch: no line break, tab, backslash or other site",
        arguments: [
            "/\r\nSet-Cookie: gc_session=PLANTED; Path=/", "/\nX: y", "/\r", "/\0", "/\t/evil.example",
            "/\t\t/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example",
            " /screen", "/ /evil.example", "/écran", "", "screen", String(repeating: "/a", count: 300),
        ])
    func hostileNext(next: String) {
        #expect(PageController.safeNext(next) == "/")
    }

    @Test("Ordinary local paths are kept", arguments: ["/", "/screen", "/lookup?q=R-22&limit=5", "/items/cites:x%20y"])
    func localNext(next: String) {
        #expect(PageController.safeNext(next) == next)
    }

    @Test("A header cannot be written through /language/…?back= or /sign-in?next=")
    func headerInjection() async throws {
        try await WebHarness.run { web in
            let planted = "/%0d%0aSet-Cookie:%20gc_session=PLANTED;%20Path=/"
            for path in ["/language/en?back=\(planted)", "/language/fr?back=/%09/evil.example"] {
                let response = try await web.send(.GET, path)
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == ["/"], "\(path)")
                #expect(!response.headers.contains { $0.value.contains("PLANTED") })
            }
            try await web.account("amina", role: .analyst)
            let browser = WebHarness.Browser(web)
            let form = try await browser.get("/sign-in?next=\(planted)")
            #expect(form.body.string.contains(#"name="next" value="/""#))
            let signedIn = try await browser.post(
                "/sign-in",
                form: [("name", "amina"), ("password", WebHarness.password), ("next", "/\r\nSet-Cookie: x=PLANTED")])
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == ["/"])
        }
    }

    @Test("The sign-in throttle counts an attempt before checking it, per name and address, name and address")
    func throttleCounts() async {
        let throttle = SignInThrottle(perNameAndAddress: 5, perAddress: 20, perName: 12, window: 900)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var tickets: [SignInThrottle.Attempt] = []
        for _ in 0..<5 {
            guard case .allowed(let ticket) = await throttle.begin(name: "amina", address: "10.0.0.9", now: t0) else {
                Issue.record("refused too early")
                return
            }
            tickets.append(ticket)
        }
        // Five attempts under way, none finished yet: a sixth is refused (parallel guesses do not slip through).
        guard case .refused(let wait) = await throttle.begin(name: "amina", address: "10.0.0.9", now: t0 + 1) else {
            Issue.record("a sixth attempt was allowed")
            return
        }
        #expect(wait == 899)
        // The owner at another address is not locked out by a stranger's failures; the same name is refused (spread
        // guessing) only past `perName`. Names are compared by their key.
        for ticket in tickets { await throttle.finish(ticket, succeeded: false) }
        guard case .allowed(let owner) = await throttle.begin(name: "AMINA", address: "10.0.0.1", now: t0 + 2) else {
            Issue.record("the owner was locked out by someone else's failures")
            return
        }
        await throttle.finish(owner, succeeded: true)
        for n in 0..<7 {
            let decision = await throttle.begin(name: "amina", address: "10.1.0.\(n)", now: t0 + 3)
            if case .refused = decision { Issue.record("refused at spread attempt \(n)") }
        }
        guard case .refused = await throttle.begin(name: "amina", address: "10.2.0.1", now: t0 + 4) else {
            Issue.record("spread guessing past perName was allowed")
            return
        }
        // The window passes.
        guard case .allowed = await throttle.begin(name: "amina", address: "10.0.0.9", now: t0 + 901) else {
            Issue.record("still refused after the window")
            return
        }
    }

    @Test("40 parallel guesses of one password: at most 5 are checked, the rest get 429")
    func parallelGuesses() async throws {
        try await WebHarness.run { web in
            try await web.account("li-wei", role: .officer)
            let browser = WebHarness.Browser(web)
            _ = try await browser.get("/sign-in")
            let body = "name=li-wei&password=guess&_csrf=\(browser.csrf ?? "")"
            let cookies = browser.cookies
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await web.send(
                            .POST, "/sign-in", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                            body: body, cookies: cookies
                        ).status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count <= 5)
            #expect(statuses.allSatisfy { $0 == .unauthorized || $0 == .tooManyRequests })
        }
    }

    @Test("A new password or role set by an administrator ends the account's sessions")
    func sessionsEnd() async throws {
        try await WebHarness.run { web in
            try await web.account("root", role: .admin)
            try await web.account("officer1", role: .officer)
            let admin = WebHarness.Browser(web)
            try await admin.signIn("root")
            let officer = WebHarness.Browser(web)
            try await officer.signIn("officer1")
            #expect(try await officer.get("/screen").status == .ok)
            _ = try await admin.get("/admin/users/officer1")
            let reset = try await admin.post(
                "/admin/users/officer1/password", form: [("password", "a brand new passphrase 7")])
            #expect(reset.status == .ok)
            #expect(try await officer.get("/screen").status == .seeOther)
            // Signed in again, then given another role: the session ends again.
            #expect(try await officer.signIn("officer1", password: "a brand new passphrase 7").status == .seeOther)
            #expect(try await officer.get("/screen").status == .ok)
            _ = try await admin.get("/admin/users/officer1")
            _ = try await admin.post("/admin/users/officer1/role", form: [("role", "trainer")])
            #expect(try await officer.get("/screen").status == .seeOther)
            // The administrator's own session is untouched.
            #expect(try await admin.get("/admin/users").status == .ok)
        }
    }

    @Test("Signed-in pages are never cached; public pages may be")
    func noStore() async throws {
        try await WebHarness.run { web in
            try await web.account("root", role: .admin)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("root")
            for path in ["/screen", "/admin/users", "/admin/audit", "/"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.headers.first(name: .cacheControl)?.contains("no-store") == true, "\(path)")
            }
            #expect(try await web.send(.GET, "/lookup?q=R-22").headers.first(name: .cacheControl) == nil)
        }
    }

    @Test("Forged forms, bad tokens and probes for other people's jobs are in the audit log, counted")
    func refusalsRecorded() async throws {
        try await WebHarness.run { web in
            let token = try await web.account("analyst1", role: .analyst)
            for _ in 0..<3 {
                _ = try await web.send(
                    .POST, "/sign-in", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: "name=x&password=y")
            }
            for _ in 0..<2 {
                _ = try await web.screen(#"{"lines":[]}"#, token: "gct_not-a-real-token-0000000000000000000000000")
            }
            let probe = try await web.send(
                .GET, "/api/v1/screening-jobs/\(UUID().uuidString)", headers: [("Authorization", "Bearer \(token)")])
            #expect(probe.status == .notFound)
            let audit = await web.services.auditLog()
            // Repeats within one write of the log are one event ("(3 times in 12 ms)"); how many writes the requests
            // spanned depends on the machine, the total does not.
            func total(_ events: [AuditEvent]) -> Int {
                events.reduce(0) { sum, event in
                    sum + (event.detail.firstMatch(of: /\((\d+) times in/).flatMap { Int($0.output.1) } ?? 1)
                }
            }
            let csrf = try await audit.events(limit: 10, action: .csrfRefused)
            #expect(total(csrf) == 3, "\(csrf)")
            #expect(csrf.allSatisfy { $0.target == "/sign-in" && $0.actor == "-" })
            let tokens = try await audit.events(limit: 10, action: .tokenRefused)
            #expect(total(tokens) == 2 && tokens.allSatisfy { $0.detail.contains("gct_not-a") }, "\(tokens)")
            #expect(try await audit.events(limit: 10, action: .jobProbe).first?.actor == "analyst1")
        }
    }
}

@Suite("Methods")
struct MethodTests {
    @Test("A method the app does not take on a path it knows is 405 with Allow; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await WebHarness.run { web in
            let trace = try await web.send(.TRACE, "/")
            #expect(trace.status == .methodNotAllowed)
            #expect(trace.headers.first(name: "Allow") == "GET, HEAD")
            let api = try await web.send(.TRACE, "/api/v1/screenings")
            #expect(api.status == .methodNotAllowed && api.headers.first(name: "Allow") == "POST")
            let job = try await web.send(.DELETE, "/api/v1/screening-jobs/\(UUID().uuidString)")
            #expect(job.status == .methodNotAllowed && job.headers.first(name: "Allow") == "GET, HEAD")
            #expect(try await web.send(.TRACE, "/no-such-page").status == .notFound)
            #expect(try await web.send(.GET, "/no-such-page").status == .notFound)
        }
    }
}

@Suite("API contract")
struct APIContractTests {
    @Test("Line values: booleans refused, numbers only where the document allows them, unknown keys ignored")
    func lineValues() async throws {
        try await WebHarness.run { web in
            let token = try await web.account("analyst1", role: .analyst)
            let boolean = try await web.screen(#"{"lines":[{"line_id":false,"description":"R-22"}]}"#, token: token)
            #expect(boolean.status == .unprocessableEntity)
            #expect((boolean.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "lines[0].line_id")
            let numberText = try await web.screen(#"{"lines":[{"line_id":"1","description":12}]}"#, token: token)
            #expect(numberText.status == .unprocessableEntity)
            let numbers = try await web.screen(
                #"{"lines":[{"line_id":7,"hs_code":290371,"quantity":13.6,"extra":[1,{"x":true}]}]}"#, token: token)
            #expect(numbers.status == .ok)
            #expect((numbers.json["results"] as? [[String: Any]])?.first?["line_id"] as? String == "7")
        }
    }

    @Test("Jobs: an empty filter value is refused, a file with no readable line too, unreadable lines are listed")
    func jobs() async throws {
        try await WebHarness.run { web in
            let token = try await web.account("analyst1", role: .analyst)
            func send(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> TestingHTTPResponse {
                try await web.send(
                    method, path, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "text/csv")],
                    body: body)
            }
            let none = try await send(.POST, "/api/v1/screening-jobs", body: #"{"": []}"#)
            #expect(none.status == .unprocessableEntity)
            #expect(none.body.string.contains("none of its 1 line(s) can be read"))
            var lines = "line_id,description\n"
            for n in 1...1_500 { lines += n % 500 == 0 ? "\(n),\"never closed\n" : "\(n),R-22\n" }
            let accepted = try await send(.POST, "/api/v1/screening-jobs?name=x.csv", body: lines)
            #expect(accepted.status == .accepted)
            let id = accepted.json["id"] as? String ?? ""
            for _ in 0..<200 {
                if try await send(.GET, "/api/v1/screening-jobs/\(id)").json["status"] as? String == "done" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await send(.GET, "/api/v1/screening-jobs/\(id)/results?flag=&regime=").status == .unprocessableEntity)
            let first = try await send(.GET, "/api/v1/screening-jobs/\(id)/problems?limit=2")
            let problems = first.json["problems"] as? [[String: Any]] ?? []
            #expect(problems.map { $0["line"] as? Int } == [501, 1001])
            let next = try #require(first.json["next"] as? String)
            let rest = try await send(.GET, next)
            #expect((rest.json["problems"] as? [[String: Any]])?.map { $0["line"] as? Int } == [1501])
            #expect(rest.json["next"] == nil || rest.json["next"] is NSNull)
            #expect(try await send(.GET, "/api/v1/screening-jobs/\(id)/problems?limit=0").status == .unprocessableEntity)
        }
    }
}
