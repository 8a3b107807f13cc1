import Foundation
import GreenCustomsCore

/// The JSON form of a look-up, shared by the command line and the API:
/// `{"query", "results": [{"regime", "item", "listing", "identifiers", "requirements", "source", …}], …}`.
public struct LookupJSON: Encodable, Sendable {
    public struct Result: Encodable, Sendable {
        public var regime: String
        public var id: String?
        public var item: String
        public var listing: String
        public var controlled: Bool
        public var kind: String
        public var match: String
        public var matched: String
        public var score: Int
        public var explanation: String?
        public var annotation: String?
        public var identifiers: [String: JSONValue]
        public var names: [String: [String]]?
        public var odp: String?
        public var gwp: Double?
        public var composition: [String: Double]?
        public var requirements: [RequirementJSON]
        public var note: String?
        public var source: String
    }

    public struct RequirementJSON: Encodable, Sendable {
        public var direction: String
        public var type: String
        public var document: String
        public var description: String
        public var source: String
    }

    public var query: String
    public var results: [Result]
    public var notes: [String]
    public var referenceVersion: String

    enum CodingKeys: String, CodingKey {
        case query, results, notes
        case referenceVersion = "reference_version"
    }

    public init(_ response: LookupResponse) {
        query = response.query
        notes = response.notes
        referenceVersion = response.referenceVersion
        results = response.results.map(Self.result)
    }

    /// One item as the API's item endpoint shows it: the same object as a look-up result, matched by its name.
    public static func item(_ item: ControlledItem, in set: ReferenceSet) -> Result {
        result(
            LookupResult(
                item: item, hsLink: nil, regime: item.regime, score: 100, match: .name,
                matchedText: item.names.preferred, explanation: nil, requirements: set.requirements(for: item)))
    }

    static func result(_ r: LookupResult) -> Result {
        var identifiers: [String: JSONValue] = [:]
        var names: [String: [String]]?
        if let item = r.item {
            let ids = item.identifiers
            if !ids.cas.isEmpty { identifiers["cas"] = .strings(ids.cas.map(\.text)) }
            if !ids.hs.isEmpty { identifiers["hs"] = .strings(ids.hs.map(\.formatted)) }
            if let a = ids.ashrae { identifiers["ashrae"] = .string(a.text) }
            if let b = ids.basel { identifiers["basel"] = .string(b.text) }
            if let l = ids.lmo { identifiers["lmo"] = .string(l.text) }
            if let f = ids.formula, item.composition.isEmpty { identifiers["formula"] = .string(f) }
            var n: [String: [String]] = [:]
            if !item.names.synonyms.isEmpty { n["synonyms"] = item.names.synonyms }
            if !item.names.tradeNames.isEmpty { n["trade_names"] = item.names.tradeNames }
            for (lang, list) in item.names.common { n["common_\(lang)"] = list }
            names = n.isEmpty ? nil : n
        } else if let link = r.hsLink {
            identifiers["hs"] = .strings([link.hs.formatted])
        }
        let composition = r.item.flatMap { item -> [String: Double]? in
            item.composition.isEmpty
                ? nil : Dictionary(item.composition.map { ($0.designation, $0.massPercent) }, uniquingKeysWith: +)
        }
        return Result(
            regime: r.regime.rawValue, id: r.item?.id, item: r.title, listing: r.listing,
            controlled: r.item?.controlled ?? true, kind: r.item?.kind.rawValue ?? "hs-link", match: r.match.rawValue,
            matched: r.matchedText, score: r.score, explanation: r.explanation,
            annotation: r.item?.listings.compactMap(\.annotation).first, identifiers: identifiers, names: names,
            odp: r.item?.odp.map(\.description), gwp: r.item?.gwp, composition: composition,
            requirements: r.requirements.map {
                RequirementJSON(
                    direction: $0.direction.rawValue, type: $0.kind.rawValue, document: $0.document,
                    description: $0.description, source: $0.source)
            },
            note: r.item?.note ?? r.hsLink?.note, source: r.item?.source ?? r.hsLink?.source ?? "")
    }

    /// Pretty, key-sorted JSON: the same input and reference version give the same bytes.
    public func encoded(pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// A string or a list of strings, for the `identifiers` object.
public enum JSONValue: Encodable, Sendable, Equatable {
    case string(String)
    case strings([String])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .strings(let list): try container.encode(list)
        }
    }
}
