import Foundation
import Vapor

/// The six official languages of the United Nations, in which every page and message is offered.
public enum Language: String, CaseIterable, Sendable, Encodable {
    case ar, zh, en, fr, ru, es

    /// The language's name in itself, for the switcher.
    public var nativeName: String {
        switch self {
        case .ar: "العربية"
        case .zh: "中文"
        case .en: "English"
        case .fr: "Français"
        case .ru: "Русский"
        case .es: "Español"
        }
    }

    /// Text direction: Arabic is written right to left.
    public var direction: String { self == .ar ? "rtl" : "ltr" }

    /// The locale for numbers and dates.
    public var locale: Locale { Locale(identifier: self == .zh ? "zh-Hans" : rawValue) }

    /// The best language for an `Accept-Language` header (RFC 9110 quality values), or nil when none is offered.
    public static func negotiate(_ header: String) -> Language? {
        var best: (Language, Double)?
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { continue }
            var quality = 1.0
            for p in pieces.dropFirst() where p.hasPrefix("q=") { quality = Double(p.dropFirst(2)) ?? 0 }
            let primary = String(tag.split(separator: "-").first ?? "")
            guard quality > 0, let language = Language(rawValue: primary) else { continue }
            if best == nil || quality > best!.1 { best = (language, quality) }
        }
        return best?.0
    }
}

/// The interface texts of every language, from `Web/Localizations/<code>.json` (key → text). A key missing in a
/// language falls back to English; the tests hold every language to the same keys.
public struct Localizer: Sendable {
    public let tables: [Language: [String: String]]

    public static let shared: Localizer = {
        var tables: [Language: [String: String]] = [:]
        for language in Language.allCases {
            guard let url = WebResources.directory?.appendingPathComponent("Localizations/\(language.rawValue).json"),
                let data = try? Data(contentsOf: url),
                let table = try? JSONDecoder().decode([String: String].self, from: data)
            else { continue }
            tables[language] = table
        }
        return Localizer(tables: tables)
    }()

    /// The table of `language`, with English filling any gap.
    public func table(_ language: Language) -> [String: String] {
        let english = tables[.en] ?? [:]
        guard language != .en, let own = tables[language] else { return english }
        return english.merging(own) { _, translated in translated }
    }

    /// One text, with `{name}` placeholders replaced.
    public func text(_ key: String, _ language: Language, _ values: [String: String] = [:]) -> String {
        var text = tables[language]?[key] ?? tables[.en]?[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }
}

extension Request {
    private struct LanguageKey: StorageKey { typealias Value = Language }

    /// The page language: the `gc_lang` cookie (set by the switcher), else `Accept-Language`, else English.
    public var language: Language {
        if let cached = storage[LanguageKey.self] { return cached }
        let chosen =
            cookies["gc_lang"].flatMap { Language(rawValue: $0.string) }
            ?? headers.first(name: .acceptLanguage).flatMap(Language.negotiate) ?? .en
        storage[LanguageKey.self] = chosen
        return chosen
    }

    /// An interface text in the page language.
    func t(_ key: String, _ values: [String: String] = [:]) -> String {
        Localizer.shared.text(key, language, values)
    }

    /// A whole number in the page language's digits and grouping.
    func number(_ value: Int) -> String {
        let formatter = NumberFormatter()
        formatter.locale = language.locale
        formatter.numberStyle = .decimal
        return formatter.string(from: NSNumber(value: value)) ?? String(value)
    }

    /// A date and time (UTC) in the page language.
    func dateTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = language.locale
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateStyle = .medium
        formatter.timeStyle = .medium
        return formatter.string(from: date) + " UTC"
    }
}
