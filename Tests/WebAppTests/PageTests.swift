import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Testing
import VaporTesting

@testable import WebApp

@Suite("Pages, sign-in and security")
struct PageTests {
    @Test("Public pages need no account, start no session and carry the security headers")
    func publicPages() async throws {
        try await WebHarness.run { web in
            for path in ["/", "/lookup?q=R-22", "/items/montreal:hcfc-22", "/api", "/style.css"] {
                let response = try await web.send(.GET, path)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers.setCookie?["gc_session"] == nil, "\(path) started a session")
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(
                    response.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            }
            let lookup = try await web.send(.GET, "/lookup?q=R-22")
            #expect(lookup.body.string.contains(#"<a href="/items/montreal:hcfc-22">HCFC-22</a>"#))
            let item = try await web.send(.GET, "/items/montreal:hcfc-22")
            #expect(item.body.string.contains("75-45-6"))
            #expect(try await web.send(.GET, "/items/no-such-item").status == .notFound)
        }
    }

    @Test("Errors outside the pages and the API carry the security headers too")
    func errorHeaders() async throws {
        try await WebHarness.run { web in
            for path in ["/no-such-page", "/api/v1/no-such-endpoint", "/style.css/x"] {
                let response = try await web.send(.GET, path)
                #expect(response.status == .notFound, "\(path)")
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(path)")
                #expect(response.headers.first(name: "X-Frame-Options") == "DENY", "\(path)")
                #expect(
                    response.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true,
                    "\(path)")
            }
        }
    }

    @Test("Public pages stay under 100 KB, in every language, for a weak connection")
    func pageSizes() async throws {
        try await WebHarness.run { web in
            let paths = [
                "/", "/lookup?q=R-22", "/lookup?q=orchid", "/lookup?q=2903", "/items/montreal:hcfc-22", "/guide",
                "/guide/cites", "/guide/basel", "/reference", "/api", "/sign-in",
            ]
            for language in Language.allCases {
                for path in paths {
                    let page = try await web.send(.GET, path, headers: [("Accept-Language", language.rawValue)])
                    #expect(page.status == .ok, "\(path)")
                    #expect(
                        page.body.readableBytes < 100_000,
                        "\(path) in \(language.rawValue): \(page.body.readableBytes) bytes")
                }
            }
        }
    }

    @Test("Every echoed field is escaped: the query, a pasted line, the sign-in name")
    func escaping() async throws {
        try await WebHarness.run { web in
            let attack = #"<script>alert("x")</script>"#
            let lookup = try await web.send(.GET, "/lookup?q=" + WebHarness.Browser.encode(attack))
            #expect(!lookup.body.string.contains("<script>"))
            #expect(lookup.body.string.contains("&lt;script&gt;"))
            try await web.account("officer1", role: .officer)
            let browser = WebHarness.Browser(web)
            let failed = try await browser.signIn(attack, password: "wrong")
            #expect(failed.status == .unauthorized && !failed.body.string.contains("<script>"))
            try await browser.signIn("officer1")
            _ = try await browser.get("/screen")
            let submitted = try await browser.post(
                "/screen", form: [("text", "line_id,description\n\(attack),\(attack) R-22\n")])
            #expect(submitted.status == .seeOther)
            let screened = try await browser.finishedJob(submitted)
            #expect(!screened.body.string.contains("<script>"))
            #expect(screened.body.string.contains("&lt;script&gt;"))
            #expect(screened.body.string.contains("HCFC-22"))
        }
    }

    @Test("Sign-in: CSRF required, wrong password refused and logged, the session key changes, sign-out ends it")
    func signIn() async throws {
        try await WebHarness.run { web in
            try await web.account("amina", role: .analyst)
            let browser = WebHarness.Browser(web)
            let form = try await browser.get("/sign-in")
            // Looking at the form starts no session: its token travels in a cookie of its own.
            #expect(browser.cookie == nil && browser.cookies["gc_csrf"] != nil)
            #expect(form.headers.setCookie?["gc_csrf"]?.isHTTPOnly == true)
            #expect(try await web.services.sessions.count() == 0)
            // A session key planted before signing in (session fixation) is never the one signed in.
            let before = "planted-session-key"
            browser.cookie = before
            let noToken = try await browser.post(
                "/sign-in", form: [("name", "amina"), ("password", WebHarness.password)], csrf: false)
            #expect(noToken.status == .forbidden)
            let wrong = try await browser.post("/sign-in", form: [("name", "amina"), ("password", "not it")])
            #expect(wrong.status == .unauthorized)
            #expect(try await web.services.auditLog().count(actor: "amina", action: .signInFailed) == 1)
            let ok = try await browser.post(
                "/sign-in", form: [("name", "amina"), ("password", WebHarness.password), ("next", "/screen")])
            #expect(ok.status == .seeOther)
            #expect(ok.headers.first(name: .location) == "/screen")
            let cookie = try #require(ok.headers.setCookie?["gc_session"])
            #expect(cookie.isHTTPOnly && cookie.sameSite == .lax && !cookie.isSecure)
            #expect(browser.cookie != before, "the session key is new after signing in")
            #expect(try await browser.get("/screen").status == .ok)
            // The old key signs nobody in.
            #expect(try await web.send(.GET, "/screen", cookie: before).status == .seeOther)
            #expect(try await web.services.auditLog().count(actor: "amina", action: .signIn) == 1)
            // An outside address after signing in is not followed.
            _ = try await browser.post("/sign-out", form: [])
            #expect(try await browser.get("/screen").status == .seeOther)
            let evil = try await browser.signIn("amina")
            #expect(evil.status == .seeOther)
            _ = try await browser.get("/sign-in?next=//evil.example")
            let redirected = try await browser.post(
                "/sign-in", form: [("name", "amina"), ("password", WebHarness.password), ("next", "//evil.example")])
            #expect(redirected.headers.first(name: .location) == "/")
        }
    }

    @Test("Sign-in is throttled after repeated failures, with Retry-After")
    func throttle() async throws {
        try await WebHarness.run { web in
            try await web.account("li-wei", role: .officer)
            let browser = WebHarness.Browser(web)
            for _ in 0..<5 {
                #expect(try await browser.signIn("li-wei", password: "guess").status == .unauthorized)
            }
            let blocked = try await browser.signIn("li-wei")
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
        }
    }

    @Test("Each role sees the screening page and the audit log exactly when it may", arguments: Role.allCases)
    func pagesByRole(role: Role) async throws {
        try await WebHarness.run { web in
            try await web.account("someone", role: role)
            let browser = WebHarness.Browser(web)
            #expect(try await browser.signIn("someone").status == .seeOther)
            let screen = try await browser.get("/screen")
            #expect(screen.status == (role.may(.screen) ? .ok : .forbidden))
            let audit = try await browser.get("/admin/audit")
            #expect(audit.status == (role.may(.readAudit) ? .ok : .forbidden))
            let home = try await browser.get("/")
            #expect(home.body.string.contains(#"href="/screen""#) == role.may(.screen))
            #expect(home.body.string.contains(#"href="/admin/audit""#) == role.may(.readAudit))
        }
    }

    @Test("Anonymous visitors are sent to sign in; a forged form post without a session is refused")
    func anonymous() async throws {
        try await WebHarness.run { web in
            let screen = try await web.send(.GET, "/screen")
            #expect(screen.status == .seeOther)
            #expect(screen.headers.first(name: .location)?.hasPrefix("/sign-in?next=") == true)
            let forged = try await web.send(
                .POST, "/screen", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: "text=line_id,description%0A1,R-22")
            #expect(forged.status == .forbidden)
            #expect(try await web.send(.GET, "/admin/audit").status == .seeOther)
        }
    }

    @Test("The audit log shows sign-ins and screenings to an admin")
    func auditLog() async throws {
        try await WebHarness.run { web in
            let token = try await web.account("analyst1", role: .analyst)
            _ = try await web.screen(#"{"lines":[{"line_id":"1","description":"R-22"}]}"#, token: token)
            try await web.account("root", role: .admin)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("root")
            let page = try await browser.get("/admin/audit")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("screening") && page.body.string.contains("analyst1"))
            #expect(page.body.string.contains("sign_in"))
        }
    }
}
