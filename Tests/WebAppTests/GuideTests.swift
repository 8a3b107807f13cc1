import Foundation
import GreenCustomsCore
import Testing
import VaporTesting

@testable import WebApp

@Suite("The Guide")
struct GuideTests {
    @Test(
        "Every language has a complete chapter for every agreement", arguments: Language.allCases)
    func complete(language: Language) throws {
        let book = try #require(GuideBook.shared.chapters[language])
        for regime in Regime.allCases {
            let chapter = try #require(book[regime.rawValue], "\(language.rawValue): no chapter for \(regime.rawValue)")
            #expect(!chapter.summary.isEmpty && !chapter.role.isEmpty && !chapter.focalPoints.isEmpty)
            for list in [chapter.controls, chapter.documents, chapter.redFlags, chapter.concealment, chapter.suspected]
            {
                #expect(!list.isEmpty && list.allSatisfy { !$0.isEmpty }, "\(language.rawValue)/\(regime.rawValue)")
            }
            #expect(chapter.focalURL.hasPrefix("https://"))
            // Translations keep the same structure as English, point by point.
            if language != .en, let english = GuideBook.shared.chapters[.en]?[regime.rawValue] {
                #expect(chapter.controls.count == english.controls.count)
                #expect(chapter.redFlags.count == english.redFlags.count)
                #expect(chapter.suspected.count == english.suspected.count)
                #expect(chapter.focalURL == english.focalURL)
            }
        }
    }

    @Test("The Guide's pages: an index, a chapter per agreement, in the page language or English with a note")
    func pages() async throws {
        try await WebHarness.run { web in
            let index = try await web.send(.GET, "/guide")
            #expect(index.status == .ok)
            for regime in Regime.allCases { #expect(index.body.string.contains(#"href="/guide/\#(regime.rawValue)""#)) }
            let basel = try await web.send(.GET, "/guide/basel")
            #expect(basel.status == .ok)
            #expect(basel.body.string.contains("Red flags") && basel.body.string.contains("Ban Amendment"))
            let french = try await web.send(.GET, "/guide/montreal", headers: [("Accept-Language", "fr")])
            #expect(french.body.string.contains("Méthodes de dissimulation courantes"))
            #expect(french.body.string.contains("identificateur de fluides frigorigènes"))
            let arabic = try await web.send(.GET, "/guide/cites", headers: [("Accept-Language", "ar")])
            #expect(arabic.body.string.contains(#"dir="rtl""#))
            #expect(arabic.body.string.contains("علامات الإنذار"))  // headings in Arabic
            #expect(arabic.body.string.contains("اتفاقية"))  // and the prose
            #expect(!arabic.body.string.contains(#"lang="en" dir="ltr""#), "no English fallback left")
            let chinese = try await web.send(.GET, "/guide/montreal", headers: [("Accept-Language", "zh")])
            #expect(chinese.body.string.contains("氢氟碳化物"))  // HFCs, in the chapter's prose
            let russian = try await web.send(.GET, "/guide/basel", headers: [("Accept-Language", "ru")])
            #expect(russian.body.string.contains("Базельск"))
            #expect(try await web.send(.GET, "/guide/ozone").status == .notFound)
        }
    }
}
