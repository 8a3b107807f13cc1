import Foundation
import GreenCustomsCore
import Vapor

/// One agreement's chapter of the Guide, as written for officers in `Web/Guide/<language>.json`.
struct GuideChapter: Codable, Sendable {
    var summary: String
    var controls: [String]
    var role: String
    var documents: [String]
    var redFlags: [String]
    var concealment: [String]
    var suspected: [String]
    var focalPoints: String
    var focalURL: String

    enum CodingKeys: String, CodingKey {
        case summary, controls, role, documents, concealment, suspected
        case redFlags = "red_flags"
        case focalPoints = "focal_points"
        case focalURL = "focal_url"
    }
}

/// The Guide in every language it is written in (all six UN languages; a chapter missing in a language is shown in
/// English, with a note).
struct GuideBook: Sendable {
    let chapters: [Language: [String: GuideChapter]]

    static let shared: GuideBook = {
        var chapters: [Language: [String: GuideChapter]] = [:]
        for language in Language.allCases {
            guard let url = WebResources.directory?.appendingPathComponent("Guide/\(language.rawValue).json"),
                let data = try? Data(contentsOf: url),
                let book = try? JSONDecoder().decode([String: GuideChapter].self, from: data)
            else { continue }
            chapters[language] = book
        }
        return GuideBook(chapters: chapters)
    }()

    /// The chapter in `language`, else in English; `translated` is false for the English fallback.
    func chapter(_ regime: Regime, _ language: Language) -> (chapter: GuideChapter, translated: Bool)? {
        if let own = chapters[language]?[regime.rawValue] { return (own, true) }
        return chapters[.en]?[regime.rawValue].map { ($0, language == .en) }
    }
}

/// `/guide` and `/guide/{agreement}`: the Guide to the agreements for customs officers.
struct GuideController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("guide", use: index)
        routes.get("guide", ":regime", use: chapter)
    }

    @Sendable func index(request: Request) async throws -> View {
        struct Entry: Encodable {
            var id: String
            var title: String
            var summary: String
        }
        struct Context: Encodable {
            var entries: [Entry]
            var fallback: String?
        }
        let language = request.language
        var fallback = false
        let entries = Regime.allCases.compactMap { regime -> Entry? in
            guard let (chapter, translated) = GuideBook.shared.chapter(regime, language) else { return nil }
            if !translated { fallback = true }
            return Entry(id: regime.rawValue, title: request.regimeTitle(regime), summary: chapter.summary)
        }
        return try await request.page(
            "guide", title: request.t("title_guide"),
            Context(
                entries: entries,
                fallback: fallback ? request.t("guide_fallback", ["language": language.nativeName]) : nil))
    }

    @Sendable func chapter(request: Request) async throws -> View {
        struct Context: Encodable {
            var id: String
            var title: String
            var chapter: GuideChapter
            var fallback: String?
            var itemsText: String
        }
        guard let regime = request.parameters.get("regime").flatMap(Regime.init(rawValue:)),
            let (chapter, translated) = GuideBook.shared.chapter(regime, request.language)
        else { throw Abort(.notFound) }
        let count = request.services.reference.set.items.filter { $0.regime == regime && $0.controlled }.count
        return try await request.page(
            "guide-chapter", title: request.regimeTitle(regime),
            Context(
                id: regime.rawValue, title: request.regimeTitle(regime), chapter: chapter,
                fallback: translated ? nil : request.t("guide_fallback", ["language": request.language.nativeName]),
                itemsText: request.t("guide_items", ["count": request.number(count)])))
    }
}
