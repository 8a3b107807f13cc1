import GreenCustomsCore

/// An in-memory index over a `ReferenceSet` that answers look-ups by identifier or by name.
///
/// Built once per reference version; every query is then a handful of hash look-ups, plus a bounded scan for
/// typos when nothing matched exactly. See `Docs/matching.md` for the semantics.
public struct LookupIndex: Sendable {
    public let reference: ReferenceSet
    var items: [ControlledItem] { reference.items }

    struct NameEntry: Sendable {
        var item: Int
        var kind: MatchKind
        var text: String
        var normalized: String
        /// Stemmed words without stop words, for word-set matching.
        var words: [String]
    }

    var names: [NameEntry] = []
    var exact: [String: [Int]] = [:]
    var compactKeys: [String: [Int]] = [:]
    var stemmed: [String: [Int]] = [:]
    var wordPostings: [String: [Int]] = [:]
    var byCAS: [String: [Int]] = [:]
    var byHS: [String: [Int]] = [:]
    var linksByHS: [String: [Int]] = [:]
    var byASHRAE: [String: [Int]] = [:]
    var byBasel: [String: [Int]] = [:]
    var byLMO: [String: [Int]] = [:]
    /// Listed taxa above species rank by normalized name.
    var higherTaxa: [String: [Int]] = [:]
    /// What is known of each genus's family, order and class, for climbing from a species to a listed taxon.
    var genusLineage: [String: [String]] = [:]
    /// Higher taxa by the normalized names they expressly exclude.
    var excludedBy: [String: [Int]] = [:]
    /// Item positions by id.
    var positions: [String: Int] = [:]
    /// Names bucketed by byte length, for the typo scan.
    var namesByLength: [Int: [Int]] = [:]

    static let stopWords: Set<String> = [
        "de", "of", "the", "and", "d", "la", "le", "les", "el", "los", "las", "del", "des", "du", "a", "et", "y", "l",
        "spp", "sp", "or", "ou", "o", "in", "en", "its", "with", "for",
    ]

    public init(reference: ReferenceSet) {
        self.reference = reference
        for (i, item) in reference.items.enumerated() {
            addName(item.names.preferred, kind: item.kind == .taxon ? .name : .name, item: i)
            for s in item.names.synonyms { addName(s, kind: .synonym, item: i) }
            for t in item.names.tradeNames { addName(t, kind: .tradeName, item: i) }
            for (_, list) in item.names.common.sorted(by: { $0.key < $1.key }) {
                for c in list { addName(c, kind: .commonName, item: i) }
            }
            positions[item.id] = i
            for excluded in item.excludes { excludedBy[SearchText.normalize(excluded), default: []].append(i) }
            for cas in item.identifiers.cas { byCAS[cas.text, default: []].append(i) }
            for hs in item.identifiers.hs { byHS[hs.subheading, default: []].append(i) }
            if let a = item.identifiers.ashrae { byASHRAE[a.key, default: []].append(i) }
            if let b = item.identifiers.basel { byBasel[b.text, default: []].append(i) }
            if let l = item.identifiers.lmo { byLMO[l.key, default: []].append(i) }
            if let taxonomy = item.taxonomy {
                if ![.species, .subspecies, .variety].contains(taxonomy.rank) {
                    higherTaxa[SearchText.normalize(item.names.preferred), default: []].append(i)
                }
                if let genus = taxonomy.genus.map(SearchText.normalize),
                    genusLineage[genus] == nil || genusLineage[genus]!.isEmpty
                {
                    genusLineage[genus] = [taxonomy.family, taxonomy.order, taxonomy.class, taxonomy.phylum]
                        .compactMap { $0.map(SearchText.normalize) }
                }
            }
        }
        for term in reference.tradeTerms {
            for id in term.itemIDs {
                if let i = positions[id] { addName(term.term, kind: .tradeTerm, item: i) }
            }
        }
        for (i, link) in reference.hsLinks.enumerated() { linksByHS[link.hs.subheading, default: []].append(i) }
        for (i, entry) in names.enumerated() { namesByLength[entry.normalized.utf8.count, default: []].append(i) }
    }

    private mutating func addName(_ text: String, kind: MatchKind, item: Int) {
        addNameVariant(text, kind: kind, item: item)
        // "DDT (dichlorodiphenyltrichloroethane)" is also found as "DDT" and as the words in brackets;
        // "Holothuria (Microthele) fuscogilva" as "Holothuria fuscogilva".
        if let open = text.firstIndex(of: "("), let close = Self.matchingParenthesis(in: text, from: open),
            open > text.startIndex
        {
            let outside = String(text[..<open]) + String(text[text.index(after: close)...])
            let inside = String(text[text.index(after: open)..<close])
            addNameVariant(outside, kind: kind, item: item)
            if inside.count >= 4 { addNameVariant(inside, kind: kind, item: item) }
        }
    }

    static func matchingParenthesis(in text: String, from open: String.Index) -> String.Index? {
        var depth = 0
        var i = open
        while i < text.endIndex {
            if text[i] == "(" {
                depth += 1
            } else if text[i] == ")" {
                depth -= 1
                if depth == 0 { return i }
            }
            i = text.index(after: i)
        }
        return nil
    }

    private mutating func addNameVariant(_ text: String, kind: MatchKind, item: Int) {
        let normalized = SearchText.normalize(text)
        guard !normalized.isEmpty else { return }
        let words = SearchText.stem(normalized).split(separator: " ").map(String.init).filter {
            !Self.stopWords.contains($0)
        }
        let id = names.count
        names.append(NameEntry(item: item, kind: kind, text: text, normalized: normalized, words: words))
        exact[normalized, default: []].append(id)
        compactKeys[SearchText.compact(normalized), default: []].append(id)
        stemmed[SearchText.stem(normalized), default: []].append(id)
        for word in Set(words) { wordPostings[word, default: []].append(id) }
    }
}
