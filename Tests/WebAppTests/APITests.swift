import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Screening
import Testing
import VaporTesting

@testable import WebApp

@Suite("API v1")
struct APITests {
    @Test("GET /healthz answers 200 with the reference version once the database answers")
    func health() async throws {
        try await WebHarness.run { web in
            let response = try await web.send(.GET, "/healthz")
            #expect(response.status == .ok)
            #expect(response.json["status"] as? String == "ok")
            #expect(response.json["reference_version"] as? String == Fixtures.bundled.set.version)
        }
    }

    @Test("Look-up is public and names the field at fault in problem+json")
    func lookup() async throws {
        try await WebHarness.run { web in
            let found = try await web.send(.GET, "/api/v1/lookup?q=Freon%2012&limit=3")
            #expect(found.status == .ok)
            let first = (found.json["results"] as? [[String: Any]])?.first
            #expect(first?["id"] as? String == "montreal:cfc-12")
            let missing = try await web.send(.GET, "/api/v1/lookup")
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.headers.contentType?.subType == "problem+json")
            #expect((missing.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "q")
            let badLimit = try await web.send(.GET, "/api/v1/lookup?q=R-22&limit=5000")
            #expect((badLimit.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "limit")
            // An injection attempt is only text to look for.
            let injection = try await web.send(.GET, "/api/v1/lookup?q=%27%20OR%201%3D1%20--")
            #expect(injection.status == .ok)
        }
    }

    @Test("Items: one by id, 404 as problem+json, pages with Link and X-Total-Count")
    func items() async throws {
        try await WebHarness.run { web in
            let item = try await web.send(.GET, "/api/v1/items/montreal:hcfc-22")
            #expect(item.status == .ok)
            #expect(item.json["item"] as? String == "HCFC-22")
            #expect((item.json["requirements"] as? [Any])?.isEmpty == false)
            let unknown = try await web.send(.GET, "/api/v1/items/nothing-here")
            #expect(unknown.status == .notFound)
            #expect(unknown.headers.contentType?.subType == "problem+json")
            let montreal = Fixtures.bundled.set.items.filter { $0.regime == .montreal }
            let page = try await web.send(.GET, "/api/v1/items?regime=montreal&per_page=20&page=2")
            #expect(page.status == .ok)
            #expect(page.json["total"] as? Int == montreal.count)
            let ids = (page.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == montreal[20..<40].map(\.id))
            #expect(page.headers.first(name: "X-Total-Count") == String(montreal.count))
            let link = page.headers.first(name: .link) ?? ""
            #expect(link.contains("page=3>; rel=\"next\"") && link.contains("page=1>; rel=\"prev\""))
            let badRegime = try await web.send(.GET, "/api/v1/items?regime=ozone")
            #expect((badRegime.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "regime")
        }
    }

    @Test("Screening needs a token: 401 without or with a bad or revoked one, 403 for a role that may not screen")
    func screeningAuth() async throws {
        try await WebHarness.run { web in
            let body = #"{"lines":[{"line_id":"1","description":"R-22 refrigerant"}]}"#
            let officer = try await web.account("officer1", role: .officer)
            let trainer = try await web.account("trainer1", role: .trainer)
            let none = try await web.screen(body, token: nil)
            #expect(none.status == .unauthorized)
            #expect(none.headers.contentType?.subType == "problem+json")
            #expect(try await web.screen(body, token: "gct_not-a-real-token").status == .unauthorized)
            #expect(try await web.screen(body, token: "Basic abc").status == .unauthorized)
            let denied = try await web.screen(body, token: trainer)
            #expect(denied.status == .forbidden)
            #expect(try await web.services.auditLog().count(actor: "trainer1", action: .accessDenied) == 1)
            #expect(try await web.screen(body, token: officer).status == .ok)
            // Revoked elsewhere (the CLI): refused once the cached check has expired, within tokenLifetime.
            try await web.services.accounts.revokeToken(Secrets.displayPrefix(officer))
            let later = Date() + WebServices.tokenLifetime + 1
            #expect(try await web.services.tokenOwner(digest: Secrets.rawDigest(officer), now: later) == nil)
            #expect(try await web.screen(body, token: officer).status == .unauthorized)
            // A disabled account's tokens stop working (here the cache is cleared as a change on this server does).
            let analyst = try await web.account("analyst1", role: .analyst)
            #expect(try await web.screen(body, token: analyst).status == .ok)
            try await web.services.accounts.updateUser(named: "analyst1", disabled: true)
            web.services.forgetTokens()
            #expect(try await web.screen(body, token: analyst).status == .unauthorized)
        }
    }

    @Test("Each role may screen through the API exactly when its permissions say so", arguments: Role.allCases)
    func screeningByRole(role: Role) async throws {
        try await WebHarness.run { web in
            let token = try await web.account("user-\(role.rawValue)", role: role)
            let response = try await web.screen(#"{"lines":[{"line_id":"1","hs_code":"2903.71"}]}"#, token: token)
            #expect(response.status == (role.may(.screen) ? .ok : .forbidden))
        }
    }

    @Test("The API's results are the same objects, byte for byte, as the command line's JSON Lines")
    func screeningMatchesJSONL() async throws {
        try await WebHarness.run { web in
            let token = try await web.account("analyst1", role: .analyst)
            let lines = [
                #"{"line_id":"A1","date":"2025-03-01","direction":"import","hs_code":"2903.71","description":"R-22 refrigerant gas","origin":"CN","destination":"NG"}"#,
                #"{"line_id":"A2","description":"cotton t-shirts","hs_code":"6109.10"}"#,
                #"{"line_id":"A3","species":"Manis javanica","description":"pangolin scales","quantity":12}"#,
            ]
            let response = try await web.screen(#"{"lines":["# + lines.joined(separator: ",") + "]}", token: token)
            #expect(response.status == .ok)
            var expected: [UInt8] = []
            let input =
                Array(
                    lines.map { line -> String in
                        // The API re-encodes each line with sorted keys; the result does not depend on key order.
                        line
                    }.joined(separator: "\n").utf8) + [0x0A]
            _ = try BatchScreener(engine: web.services.reference.engine, format: .jsonl, threads: 1).run(
                MemorySource(input), inputFormat: .jsonl, write: { expected += $0 }, reportError: { _ in })
            let expectedResults = String(decoding: expected, as: UTF8.self).split(separator: "\n").joined(
                separator: ",")
            #expect(response.body.string.hasPrefix(#"{"results":["# + expectedResults + "],"))
            #expect(try await web.services.auditLog().count(actor: "analyst1", action: .screening) == 1)
        }
    }

    @Test("Bad screening requests: the field at fault is named and nothing is screened")
    func screeningErrors() async throws {
        try await WebHarness.run(settings: WebSettings(maximumBodyBytes: 4096, maximumLinesPerRequest: 3)) { web in
            let token = try await web.account("analyst1", role: .analyst)
            func field(_ body: String) async throws -> (Int, String?) {
                let r = try await web.screen(body, token: token)
                return (Int(r.status.code), (r.json["errors"] as? [[String: Any]])?.first?["field"] as? String)
            }
            #expect(try await field("not json") == (422, "body"))
            #expect(try await field("[1,2]") == (422, "body"))
            #expect(try await field(#"{"rows":[]}"#) == (422, "lines"))
            #expect(try await field(#"{"lines":[]}"#) == (422, "lines"))
            #expect(
                try await field(#"{"lines":[{"line_id":"1"},{"line_id":"2"},{"line_id":"3"},{"line_id":"4"}]}"#) == (
                    422, "lines"
                ))
            #expect(try await field(#"{"lines":[{"line_id":"1","description":"x"}, 7]}"#) == (422, "lines[1]"))
            #expect(
                try await field(#"{"lines":[{"line_id":"1","hs_code":{"nested":true}}]}"#) == (422, "lines[0].hs_code"))
            // No line id: the reader's own message, for the line at fault.
            let (status, at) = try await field(#"{"lines":[{"line_id":"1","description":"x"},{"description":"y"}]}"#)
            #expect(status == 422 && at == "lines[1]")
            // Larger than the body limit.
            let big = #"{"lines":[{"line_id":"1","description":""# + String(repeating: "a", count: 5000) + #""}]}"#
            let tooLarge = try await web.screen(big, token: token)
            #expect(tooLarge.status == .payloadTooLarge)
            #expect(tooLarge.headers.contentType?.subType == "problem+json")
        }
    }

    @Test("The OpenAPI document is served, is OpenAPI 3.1, and describes every API route")
    func openAPI() async throws {
        try await WebHarness.run { web in
            let response = try await web.send(.GET, "/api/openapi.json")
            #expect(response.status == .ok)
            #expect(response.json["openapi"] as? String == "3.1.0")
            let paths = Set((response.json["paths"] as? [String: Any])?.keys.map { $0 } ?? [])
            let routes = web.app.routes.all.map { route in
                "/"
                    + route.path.map { component -> String in
                        if case .parameter(let name) = component { return "{\(name)}" }
                        return component.description
                    }.joined(separator: "/")
            }.filter { $0.hasPrefix("/api/v1/") }
            #expect(!routes.isEmpty)
            for route in routes { #expect(paths.contains(route), "\(route) is missing from the OpenAPI document") }
            let page = try await web.send(.GET, "/api")
            #expect(page.status == .ok && page.body.string.contains("/api/v1/screenings"))
        }
    }
}

@Suite("Audit recorder")
struct AuditRecorderTests {
    @Test("Queued events are all written, in order, in batches; reading flushes first")
    func batches() async throws {
        try await WebHarness.run { web in
            for n in 0..<250 {
                web.services.record(
                    AuditEvent(
                        at: Date(timeIntervalSince1970: 1_760_000_000 + Double(n)), actor: "a", action: .screening,
                        target: "t\(n)"), logger: web.app.logger)
                if n == 120 { try await Task.sleep(for: .milliseconds(150)) }  // the timer writes the first part
            }
            let log = await web.services.auditLog()
            #expect(try await log.count() == 250)
            #expect(try await log.events(limit: 3).map(\.target) == ["t249", "t248", "t247"])
        }
    }
}

@Suite("API helpers")
struct APIHelperTests {
    @Test("A line's fields are re-encoded as valid JSON, keys sorted, every awkward character escaped")
    func jsonLine() throws {
        let fields: [String: Any] = [
            "line_id": "7", "description": "quote \" backslash \\ tab \t newline \n bell \u{7} é 中", "quantity": 12.5,
            "unit": NSNull(),
        ]
        let bytes = ScreeningRequest.jsonLine(fields)
        let back = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(back["description"] as? String == fields["description"] as? String)
        #expect(back["quantity"] as? Double == 12.5)
        #expect(back["unit"] is NSNull)
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix(#"{"description":"#))
    }

    @Test("Digests are SHA-256 in lower-case hex")
    func digest() {
        #expect(Secrets.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
