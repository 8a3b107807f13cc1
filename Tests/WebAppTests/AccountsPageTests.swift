import Foundation
import GreenCustomsCore
import Testing
import VaporTesting

@testable import WebApp

/// `/admin/users`: accounts and API tokens managed in the browser, by administrators only.
@Suite("Account management pages")
struct AccountsPageTests {
    @Test("Only an administrator reaches the account pages", arguments: Role.allCases)
    func roles(role: Role) async throws {
        try await WebHarness.run { web in
            try await web.account("someone", role: role)
            try await web.account("target", role: .officer)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("someone")
            let page = try await browser.get("/admin/users")
            #expect(page.status == (role == .admin ? .ok : .forbidden))
            let create = try await browser.post(
                "/admin/users", form: [("name", "newcomer"), ("role", "admin"), ("password", "a long password 1")])
            #expect(create.status == (role == .admin ? .seeOther : .forbidden))
            #expect((try await web.services.accounts.user(named: "newcomer") != nil) == (role == .admin))
            let promote = try await browser.post("/admin/users/target/role", form: [("role", "admin")])
            #expect(promote.status == (role == .admin ? .ok : .forbidden))
            #expect(try await web.services.accounts.user(named: "target")?.role == (role == .admin ? .admin : .officer))
        }
        try await WebHarness.run { web in
            let anonymous = try await web.send(.GET, "/admin/users")
            #expect(anonymous.status == .seeOther)
        }
    }

    @Test("An administrator creates an account, changes it, makes and revokes a token; all of it is audited")
    func manage() async throws {
        try await WebHarness.run { web in
            try await web.account("root", role: .admin)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("root")
            _ = try await browser.get("/admin/users")
            let short = try await browser.post(
                "/admin/users", form: [("name", "amina"), ("role", "officer"), ("password", "short")])
            #expect(short.status == .unprocessableEntity && short.body.string.contains("12 characters"))
            let noToken = try await browser.post(
                "/admin/users", form: [("name", "amina"), ("role", "officer"), ("password", "a long password 1")],
                csrf: false)
            #expect(noToken.status == .forbidden)
            let created = try await browser.post(
                "/admin/users", form: [("name", "amina"), ("role", "officer"), ("password", "a long password 1")])
            #expect(created.headers.first(name: .location) == "/admin/users/amina")
            let again = try await browser.post(
                "/admin/users", form: [("name", "amina"), ("role", "officer"), ("password", "a long password 1")])
            #expect(again.status == .unprocessableEntity && again.body.string.contains("already exists"))

            // The new account signs in with the password the administrator gave.
            let amina = WebHarness.Browser(web)
            #expect(try await amina.signIn("amina", password: "a long password 1").status == .seeOther)

            // A token, shown once, works on the API until revoked.
            let made = try await browser.post("/admin/users/amina/tokens", form: [("label", "single window")])
            let token = try #require(made.body.string.firstMatch(of: /gct_[A-Za-z0-9_-]{43}/)).output
            #expect(made.headers.cacheControl?.noStore == true)
            let line = #"{"lines":[{"line_id":"1","description":"R-22"}]}"#
            #expect(try await web.screen(line, token: String(token)).status == .ok)
            let tokens = try await web.services.accounts.tokens(owner: "amina")
            let id = try #require(tokens.first?.id).uuidString.lowercased()
            _ = try await browser.get("/admin/users/amina")
            #expect(try await browser.post("/admin/users/amina/tokens/\(id)/revoke", form: []).status == .ok)
            #expect(try await web.screen(line, token: String(token)).status == .unauthorized)

            // Disabled: the account's session ends.
            #expect(try await browser.post("/admin/users/amina/disabled", form: [("disabled", "true")]).status == .ok)
            #expect(try await amina.get("/screen").status == .seeOther)

            // An administrator cannot lock themselves out.
            _ = try await browser.get("/admin/users/root")
            #expect(
                try await browser.post("/admin/users/root/disabled", form: [("disabled", "true")]).status == .conflict)
            #expect(try await browser.post("/admin/users/root/role", form: [("role", "officer")]).status == .conflict)
            #expect(try await web.services.accounts.user(named: "root")?.role == .admin)

            let audit = await web.services.auditLog()
            #expect(try await audit.count(actor: "root", action: .userCreated) == 1)
            #expect(try await audit.count(actor: "root", action: .tokenCreated) == 1)
            #expect(try await audit.count(actor: "root", action: .tokenRevoked) == 1)
            #expect(try await audit.count(actor: "root", action: .userChanged) == 1)
        }
    }

    @Test("Names and labels are escaped on the account pages")
    func escaping() async throws {
        try await WebHarness.run { web in
            try await web.account("root", role: .admin)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("root")
            _ = try await browser.get("/admin/users")
            let attack = #"<script>alert(1)</script>"#
            let refused = try await browser.post(
                "/admin/users", form: [("name", attack), ("role", "officer"), ("password", "a long password 1")])
            #expect(!refused.body.string.contains("<script>"))
            let made = try await browser.post("/admin/users/root/tokens", form: [("label", attack)])
            #expect(!made.body.string.contains("<script>") && made.body.string.contains("&lt;script&gt;"))
        }
    }
}
