import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Screening
import Testing
import VaporTesting

@testable import WebApp

@Suite("Languages")
struct LocalizationTests {
    static var english: [String: String] { Localizer.shared.tables[.en] ?? [:] }

    static func placeholders(_ text: String) -> Set<String> {
        var out = Set<String>()
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    @Test("All six languages have every key, no empty text, and the same placeholders", arguments: Language.allCases)
    func completeTables(language: Language) throws {
        let table = try #require(Localizer.shared.tables[language], "Web/Localizations/\(language.rawValue).json")
        #expect(Set(table.keys) == Set(Self.english.keys))
        for (key, text) in table {
            #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "\(language.rawValue).\(key) is empty")
            #expect(
                Self.placeholders(text) == Self.placeholders(Self.english[key] ?? ""),
                "\(language.rawValue).\(key) has other placeholders than English")
        }
    }

    @Test("Every text a template or a handler asks for exists")
    func keysUsed() throws {
        let views = try #require(WebResources.directory).appendingPathComponent("Views")
        var used = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: views.path) where file.hasSuffix(".leaf") {
            let text = try String(contentsOf: views.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: /#\(t\.([a-z0-9_\-]+)\)/) { used.insert(String(match.1)) }
        }
        let sources = SharedData.packageRoot.appendingPathComponent("Sources/WebApp")
        let enumerator = FileManager.default.enumerator(atPath: sources.path)
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".swift") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
            // A key ending in "_" is a prefix completed from a value (below).
            for match in text.matches(of: /\bt\("([a-z0-9_\-]+)"/) where !match.1.hasSuffix("_") {
                used.insert(String(match.1))
            }
        }
        // Keys built from values: every case must have its text.
        used.formUnion(Role.allCases.map { "role_" + $0.rawValue })
        used.formUnion(Regime.allCases.map { "regime_" + $0.rawValue })
        used.formUnion(Lane.allCases.map { "lane_" + $0.rawValue })
        used.formUnion(Direction.allCases.map { "direction_" + $0.rawValue })
        #expect(used.count > 100)
        for key in used.sorted() { #expect(Self.english[key] != nil, "no English text for \(key)") }
    }

    @Test("Accept-Language picks the best offered language by quality")
    func negotiate() {
        #expect(Language.negotiate("fr-CH, fr;q=0.9, en;q=0.8") == .fr)
        #expect(Language.negotiate("de-DE, es;q=0.5, ru;q=0.7") == .ru)
        #expect(Language.negotiate("zh-Hans-CN") == .zh)
        #expect(Language.negotiate("de, it") == nil)
        #expect(Language.negotiate("ar;q=0") == nil)
        #expect(Language.negotiate("") == nil)
    }

    @Test("Pages follow Accept-Language, Arabic is right to left, and the switcher's cookie wins")
    func pages() async throws {
        try await WebHarness.run { web in
            let french = try await web.send(.GET, "/", headers: [("Accept-Language", "fr-FR,fr;q=0.9")])
            #expect(french.body.string.contains(#"<html lang="fr" dir="ltr">"#))
            #expect(french.body.string.contains("Cet envoi est-il contrôlé ?"))
            let arabic = try await web.send(.GET, "/lookup?q=R-22", headers: [("Accept-Language", "ar")])
            #expect(arabic.body.string.contains(#"<html lang="ar" dir="rtl">"#))
            #expect(arabic.body.string.contains("بروتوكول مونتريال"))
            let english = try await web.send(.GET, "/")
            #expect(english.body.string.contains(#"<html lang="en" dir="ltr">"#))

            let switched = try await web.send(.GET, "/language/zh?back=/lookup%3Fq%3DR-22")
            #expect(switched.status == .seeOther)
            #expect(switched.headers.first(name: .location) == "/lookup?q=R-22")
            let cookie = try #require(switched.headers.setCookie?["gc_lang"])
            #expect(cookie.string == "zh" && cookie.isHTTPOnly)
            let chinese = try await web.send(
                .GET, "/", headers: [("Cookie", "gc_lang=zh"), ("Accept-Language", "fr")])
            #expect(chinese.body.string.contains(#"<html lang="zh" dir="ltr">"#))
            #expect(chinese.body.string.contains("这批货物是否受管制？"))
            // Outside addresses are not followed; unknown languages are not found.
            let outside = try await web.send(.GET, "/language/es?back=//evil.example")
            #expect(outside.headers.first(name: .location) == "/")
            #expect(try await web.send(.GET, "/language/de").status == .notFound)
        }
    }

    @Test("Messages and numbers are in the page language")
    func messagesAndNumbers() async throws {
        try await WebHarness.run { web in
            try await web.account("ana-maria", role: .officer)
            let browser = WebHarness.Browser(web)
            _ = try await browser.get("/sign-in")
            let body = "name=ana-maria&password=wrong&_csrf=\(browser.csrf ?? "")"
            let failed = try await web.send(
                .POST, "/sign-in",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept-Language", "es")],
                body: body, cookies: browser.cookies)
            #expect(failed.body.string.contains("El nombre o la contraseña son incorrectos."))
            let cites = Fixtures.bundled.set.items.filter { $0.regime == .cites }.count
            #expect(cites >= 1000, "the check below needs a four-digit count")
            let formatter = NumberFormatter()
            formatter.locale = Locale(identifier: "en")
            formatter.numberStyle = .decimal
            let home = try await web.send(.GET, "/")
            #expect(home.body.string.contains(formatter.string(from: NSNumber(value: cites)) ?? "?"))
        }
    }
}
