import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import LeafKit
import Screening
import Testing
import VaporTesting

@testable import WebApp

/// The short cuts that keep API requests and the look-up page on their event loop: each must answer exactly what the
/// general path answers.
@Suite("Fast paths")
struct FastPathTests {
    static let engine = ScreeningEngine(reference: Fixtures.bundled.set)

    /// The JSON Lines a body becomes through the full parse (Foundation's objects, each line written again).
    static func fullParse(_ body: String, maximum: Int = 100) throws -> [UInt8] {
        ScreeningRequest.input(try ScreeningRequest.lines(from: Data(body.utf8), maximum: maximum)).input
    }

    static func screened(_ input: [UInt8], _ engine: ScreeningEngine) -> ScreeningRequest.Outcome {
        ScreeningRequest.run(input, engine: engine)
    }

    @Test("The usual request is read without Foundation's objects, and screens exactly as the full parse does")
    func plainInputAgrees() throws {
        let engine = Self.engine
        let bodies = [
            #"{"lines":[{"line_id":"1","hs_code":"2903.71","description":"Refrigerant gas R-22 in 13.6 kg cylinders","direction":"import","origin":"CN","destination":"NG"}]}"#,
            #"{"lines":[{"line_id":"A","description":"R-410A \"Puron\" \/ refill\tkit","permit_refs":null},{"line_id":"B","species":"Manis javanica"}]}"#,
            "{\n  \"lines\": [\n    {\n      \"line_id\": \"1\",\n      \"DESCRIPTION\": \"Freon 12 caf\u{e9} 中\"\n    }\r\n  ]\n}\n",
            #"{"lines":[{}]}"#,
        ]
        for body in bodies {
            let plain = try #require(ScreeningRequest.plainInput(Array(body.utf8), maximum: 100), "\(body)")
            let full = try Self.fullParse(body)
            #expect(plain.count == full.split(separator: 0x0A).count)
            #expect(plain.input.filter { $0 == 0x0A }.count == plain.count, "one line per object")
            let (a, b) = (Self.screened(plain.input, engine), Self.screened(full, engine))
            #expect(a.jsonLines == b.jsonLines, "\(body)")
            #expect(a.errors.map(\.message) == b.errors.map(\.message))
        }
    }

    @Test("Anything unusual is left to the full parse, which explains what is wrong")
    func plainInputDeclines() {
        let declined = [
            #"{"lines":[{"line_id":1,"description":"x"}]}"#,  // a number
            #"{"lines":[{"line_id":"1","urgent":true}]}"#,  // a boolean
            #"{"lines":[{"line_id":"1","permit_refs":["a","b"]}]}"#,  // nesting
            #"{"lines":[{"line_id":"1","description":"caf\u00e9"}]}"#,  // a \u escape
            #"{"lines":[{"line_id":"1","description":"x","description":"y"}]}"#,  // a repeated key
            #"{"lines":[{"line_id":"1","description":"x"}],"more":1}"#,  // another key
            #"{"more":1,"lines":[{"line_id":"1"}]}"#,
            #"{"lines":[]}"#, #"{"lines":[{"line_id":"1"},{"line_id":"2"},{"line_id":"3"}]}"#,  // none, too many
            #"{"lines":[{"line_id":"1"}]} x"#, #"{"lines":[{"line_id":"1"}]"#, #"{"lines":[{"line_id":"1",}]}"#,
            "{\"lines\":[{\"line_id\":\"a\tb\"}]}",  // a raw control character in a string
            #"{"lines":[7]}"#, "", "[]",
        ]
        for body in declined {
            #expect(ScreeningRequest.plainInput(Array(body.utf8), maximum: 2) == nil, "\(body)")
        }
        #expect(ScreeningRequest.plainInput([0x7B, 0xFF, 0x7D], maximum: 2) == nil, "not UTF-8")
    }

    @Test("Spare scratch space gives the same results as new scratch space, line after line")
    func spareScratch() throws {
        let engine = Self.engine
        let lines = [
            #"{"line_id":"1","description":"R-22 refrigerant","hs_code":"2903.71"}"#,
            #"{"line_id":"2","description":"cotton t-shirts"}"#,
            #"{"line_id":"3","species":"Manis javanica","description":"pangolin scales"}"#,
        ]
        let input = Array((lines.joined(separator: "\n") + "\n").utf8)
        let first = ScreeningRequest.run(input, engine: engine).jsonLines
        for _ in 0..<5 { #expect(ScreeningRequest.run(input, engine: engine).jsonLines == first) }
        var fresh: [UInt8] = []
        var scratch = ScreeningEngine.Scratch(remembering: false)
        var reader = DeclarationReader(source: MemorySource(input), format: .jsonl)
        for record in try reader.next().records {
            ResultFormat.jsonl.write(engine.screen(record, scratch: &scratch), into: &fresh)
        }
        #expect(fresh == first)
    }

    @Test("API screenings of one account and address in one write are one audit event that counts them")
    func auditTally() async throws {
        try await WebHarness.run { web in
            let start = Date(timeIntervalSince1970: 1_760_000_000)
            var one = ScreeningSummary()
            one.lines = 2
            one.lanes = [.green: 1, .red: 1]
            for n in 0..<5 {
                web.services.recorder.countScreening(
                    actor: "analyst1", address: "10.0.0.1", summary: one, at: start + Double(n) * 0.02)
            }
            web.services.recorder.countScreening(actor: "analyst1", address: "10.0.0.2", summary: one, at: start)
            web.services.recorder.countScreening(actor: "analyst2", address: "10.0.0.1", summary: one, at: start)
            let events = try await web.services.auditLog().events(limit: 10, action: .screening)
            #expect(events.count == 3)
            let tallied = try #require(events.first { $0.actor == "analyst1" && $0.address == "10.0.0.1" })
            #expect(tallied.detail == "5 requests in 80 ms, 10 lines; lanes green 5, yellow 0, red 5")
            #expect(tallied.at == start && tallied.target == "api")
            let single = try #require(events.first { $0.actor == "analyst2" })
            #expect(single.detail == "2 lines; lanes green 1, yellow 0, red 1", "a single request reads as before")
        }
    }

    @Test("Every API screening request is counted in the audit log, however they are grouped")
    func auditCountsRequests() async throws {
        try await WebHarness.run { web in
            let token = try await web.account("analyst1", role: .analyst)
            let body =
                #"{"lines":[{"line_id":"1","description":"R-22 refrigerant gas"},{"line_id":"2","description":"tea"}]}"#
            for _ in 0..<5 { #expect(try await web.screen(body, token: token).status == .ok) }
            let events = try await web.services.auditLog().events(limit: 10, actor: "analyst1", action: .screening)
            /// The number just before `marker` in `text` ("10" before " lines;" in "…, 10 lines; lanes …").
            func number(before marker: String, in text: String) -> Int? {
                guard let range = text.range(of: marker) else { return nil }
                return Int(text[..<range.lowerBound].split(separator: " ").last ?? "")
            }
            let requests = events.map { number(before: " requests", in: $0.detail) ?? 1 }
            #expect(requests.reduce(0, +) == 5, "\(events.map(\.detail))")
            let lines = events.map { number(before: " lines;", in: $0.detail) ?? 0 }
            #expect(lines.reduce(0, +) == 10, "\(events.map(\.detail))")
        }
    }

    @Test("Static files: versioned links cached for a year, others revalidated by ETag, 304 when unchanged")
    func staticFiles() async throws {
        try await WebHarness.run { web in
            let files = try #require(StaticFiles.bundled)
            let css = try #require(files.files["/style.css"])
            let home = try await web.send(.GET, "/")
            #expect(home.body.string.contains(#"href="/style.css?v=\#(css.version)""#))
            #expect(home.body.string.contains(#"src="/app.js?v="#))
            let plain = try await web.send(.GET, "/style.css")
            #expect(plain.status == .ok)
            #expect(plain.headers.first(name: .cacheControl) == "no-cache")
            #expect(plain.headers.first(name: .eTag) == css.etag)
            #expect(plain.headers.contentType?.subType == "css")
            #expect(plain.body.readableBytes == css.body.readableBytes)
            let versioned = try await web.send(.GET, "/style.css?v=\(css.version)")
            #expect(versioned.headers.first(name: .cacheControl) == "public, max-age=31536000, immutable")
            let again = try await web.send(.GET, "/style.css", headers: [("If-None-Match", css.etag)])
            #expect(again.status == .notModified && again.body.readableBytes == 0)
            let changed = try await web.send(.GET, "/style.css", headers: [("If-None-Match", #""other""#)])
            #expect(changed.status == .ok)
            #expect(try await web.send(.GET, "/nothing.css").status == .notFound)
            #expect(try await web.send(.GET, "/style.css/..%2F..%2FPackage.swift").status == .notFound)
        }
    }

    @Test("The layout as Leaf data has the keys and values of its Encodable form, which the other pages use")
    func layoutLeafData() throws {
        var layout = Layout(
            title: "T <x>", user: "analyst1", role: "Analyst", mayScreen: true, mayAudit: false, mayManage: false,
            csrf: "c", lang: "ar", dir: "rtl", query: "R-22",
            languages: [
                .init(code: "ar", name: "العربية", current: true), .init(code: "en", name: "English", current: false),
            ],
            here: "/lookup%3Fq%3DR-22")
        layout.refresh = true
        let encoded = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(layout)) as? [String: Any])
        let values = try #require(layout.leafData.dictionary)
        #expect(Set(values.keys) == Set(encoded.keys))
        for (key, value) in encoded {
            switch value {
            case let text as String: #expect(values[key]?.string == text, "\(key)")
            case let list as [[String: Any]]:
                let leaf = try #require(values[key]?.array)
                #expect(leaf.count == list.count)
                for (l, e) in zip(leaf, list) {
                    #expect(l.dictionary?["code"]?.string == e["code"] as? String)
                    #expect(l.dictionary?["name"]?.string == e["name"] as? String)
                    #expect(l.dictionary?["current"]?.bool == e["current"] as? Bool)
                }
            case let number as NSNumber: #expect(values[key]?.bool == number.boolValue, "\(key)")
            default: Issue.record("unexpected value for \(key)")
            }
        }
    }

    @Test("Bearer tokens are read as Vapor reads them")
    func bearerTokens() {
        func token(_ value: String) -> String? {
            BearerTokenMiddleware.bearerToken(HTTPHeaders([("Authorization", value)]))
        }
        for value in ["Bearer gct_x", "bearer gct_x", "BEARER gct_x", "Bearer  gct_x"] {
            #expect(token(value) == "gct_x", "\(value)")
            #expect(token(value) == HTTPHeaders([("Authorization", value)]).bearerAuthorization?.token, "\(value)")
        }
        for value in ["Basic gct_x", "Bearer", "Bearer ", "Bearergct_x"] {
            #expect(token(value)?.isEmpty ?? true, "\(value)")
        }
        #expect(BearerTokenMiddleware.bearerToken(HTTPHeaders()) == nil)
        #expect(Secrets.hex(Secrets.rawDigest("abc")) == Secrets.digest("abc"))
    }

    @Test("Query values are read as Vapor reads them")
    func queryValues() async throws {
        try await WebHarness.run { web in
            func value(_ query: String, _ name: String) -> String? {
                let request = Request(
                    application: web.app, url: URI(string: "/lookup?" + query), on: web.app.eventLoopGroup.any())
                return request.queryValue(name)
            }
            #expect(value("q=Freon+12", "q") == "Freon 12")
            #expect(value("q=Freon%2012&fragment=1", "fragment") == "1")
            #expect(value("x=1&q=%E4%B8%AD%2B", "q") == "中+")
            #expect(value("q=a&q=b", "q") == "b")
            #expect(value("q", "q") == "")
            #expect(value("qq=1", "q") == nil)
            #expect(value("q=%ZZ", "q") == "%ZZ")
            #expect(value("q=%E4%B8", "q") == nil)
            let page = try await web.send(.GET, "/lookup?q=Freon+12")
            #expect(page.body.string.contains(#"value="Freon 12""#))
        }
    }
}
