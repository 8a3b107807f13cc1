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

    /// Long forms of item categories, so "hydrochlorofluorocarbons" or "ozone-depleting substances" find the class.
    static let categoryAliases: [String: [String]] = [
        "CFC": ["chlorofluorocarbon", "ozone-depleting substance"],
        "other fully halogenated CFC": ["CFC", "chlorofluorocarbon", "ozone-depleting substance"],
        "halon": ["bromofluorocarbon", "ozone-depleting substance"],
        "carbon tetrachloride": ["ozone-depleting substance"],
        "methyl chloroform": ["ozone-depleting substance"],
        "HCFC": ["hydrochlorofluorocarbon", "ozone-depleting substance"],
        "HBFC": ["hydrobromofluorocarbon", "ozone-depleting substance"],
        "bromochloromethane": ["ozone-depleting substance"],
        "methyl bromide": ["ozone-depleting substance"],
        "HFC": ["hydrofluorocarbon", "Kigali HFC"],
        "HFC-23": ["HFC", "hydrofluorocarbon", "Kigali HFC"],
    ]

    static let stopWords: Set<String> = [
        "de", "of", "the", "and", "d", "la", "le", "les", "el", "los", "las", "del", "des", "du", "a", "et", "y", "l",
        "spp", "sp", "or", "ou", "o", "in", "en", "its", "with", "for",
    ]

    public init(reference: ReferenceSet) {
        self.reference = reference
        for (i, item) in reference.items.enumerated() { positions[item.id] = i }
        // Normalising ~200,000 names is the expensive part: do it on every core, then fill the tables in order.
        let prepared = Self.prepareNames(reference)
        for (i, item) in reference.items.enumerated() {
            for name in prepared[i] { insert(name) }
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
                guard let i = positions[id] else { continue }
                for name in Self.variants(of: term.term, kind: .tradeTerm, item: i) { insert(name) }
            }
        }
        for (i, link) in reference.hsLinks.enumerated() { linksByHS[link.hs.subheading, default: []].append(i) }
        for (i, entry) in names.enumerated() { namesByLength[entry.normalized.utf8.count, default: []].append(i) }
    }

    /// A name ready to be indexed: normalised, compacted, stemmed and split into words.
    struct PreparedName: Sendable {
        var entry: NameEntry
        var compact: String
        var stemmed: String
    }

    /// Every item's names, prepared in parallel chunks; the result is in item order whatever the scheduling.
    static func prepareNames(_ reference: ReferenceSet) -> [[PreparedName]] {
        let items = reference.items
        let chunks = Parallel.mapChunks(count: items.count, minimumChunk: 1_000) { range in
            range.map { i -> [PreparedName] in
                let item = items[i]
                var names = variants(of: item.names.preferred, kind: .name, item: i)
                for s in item.names.synonyms { names += variants(of: s, kind: .synonym, item: i) }
                for t in item.names.tradeNames { names += variants(of: t, kind: .tradeName, item: i) }
                for (_, list) in item.names.common.sorted(by: { $0.key < $1.key }) {
                    for c in list { names += variants(of: c, kind: .commonName, item: i) }
                }
                // The class of the item ("HCFC", "halon", "pesticide") and the words officers use for it.
                if let category = item.category {
                    for alias in [category] + (categoryAliases[category] ?? []) {
                        names += variants(of: alias, kind: .category, item: i)
                    }
                }
                return names
            }
        }
        return chunks.flatMap { $0 }
    }

    private mutating func insert(_ name: PreparedName) {
        let id = names.count
        names.append(name.entry)
        exact[name.entry.normalized, default: []].append(id)
        compactKeys[name.compact, default: []].append(id)
        stemmed[name.stemmed, default: []].append(id)
        for word in Set(name.entry.words) { wordPostings[word, default: []].append(id) }
    }

    /// The forms a name is found by: itself, and
    /// - without its brackets and by what is inside them: "DDT (dichlorodiphenyltrichloroethane)" → "DDT";
    ///   "Holothuria (Microthele) fuscogilva" → "Holothuria fuscogilva";
    /// - by its head: "Pentachlorophenol and its salts and esters" → "Pentachlorophenol".
    static func variants(of text: String, kind: MatchKind, item: Int) -> [PreparedName] {
        var out: [PreparedName] = []
        func add(_ text: String) {
            let normalized = SearchText.normalize(text)
            guard !normalized.isEmpty else { return }
            let stemmed = SearchText.stem(normalized)
            let words = stemmed.split(separator: " ").map(String.init).filter { !stopWords.contains($0) }
            out.append(
                PreparedName(
                    entry: NameEntry(item: item, kind: kind, text: text, normalized: normalized, words: words),
                    compact: SearchText.compact(normalized), stemmed: stemmed))
        }
        add(text)
        if let open = text.firstIndex(of: "("), let close = matchingParenthesis(in: text, from: open),
            open > text.startIndex
        {
            add(String(text[..<open]) + String(text[text.index(after: close)...]))
            let inside = String(text[text.index(after: open)..<close])
            if inside.count >= 4 { add(inside) }
        }
        for separator in [" and its ", ", its "] {
            if let range = text.range(of: separator), text.distance(from: text.startIndex, to: range.lowerBound) >= 3 {
                add(String(text[..<range.lowerBound]))
                break
            }
        }
        return out
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
}
