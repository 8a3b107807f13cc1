import GreenCustomsCore

extension LookupIndex {
    /// Answers a query: identifiers first (CAS, LMO, Basel, HS, ASHRAE), then names, words of names, taxa above
    /// a species, and names with typos. Results are best first and deduplicated by item.
    public func lookup(_ rawQuery: String, limit: Int = 10) -> LookupResponse {
        var collector = Collector(index: self)
        let query = String(rawQuery.trimmingASCIISpaces())
        if query.isEmpty {
            return LookupResponse(
                query: rawQuery, results: [], notes: ["The query is empty."], referenceVersion: reference.version)
        }
        matchIdentifiers(query, into: &collector)
        matchEmbeddedIdentifiers(query, into: &collector)
        let normalized = SearchText.normalize(query)
        if !normalized.isEmpty {
            matchNames(normalized, into: &collector)
            matchExclusions(normalized, into: &collector)
            // Typos only when nothing matched well: "sharks" must not become "sharps".
            if collector.best < 78 { matchTypos(normalized, into: &collector) }
            if collector.best < 90 { matchHigherTaxon(normalized, into: &collector) }
        }
        return LookupResponse(
            query: rawQuery, results: collector.sorted(limit: limit), notes: collector.notes,
            referenceVersion: reference.version)
    }

    // MARK: Identifiers

    func matchIdentifiers(_ query: String, into c: inout Collector) {
        if CASNumber.looksLikeCAS(query) {
            do {
                let cas = try CASNumber(validating: query)
                for i in byCAS[cas.text] ?? [] { c.add(item: i, score: 100, match: .casNumber, text: cas.text) }
                if byCAS[cas.text] == nil {
                    c.notes.append("CAS \(cas.text) is valid but is not on any list Green Customs holds.")
                }
            } catch {
                c.notes.append("\(error.description): check the number on the label and the documents.")
            }
            return
        }
        if let lmo = LMOIdentifier(query) {
            for i in byLMO[lmo.key] ?? [] { c.add(item: i, score: 100, match: .lmoIdentifier, text: lmo.text) }
        }
        if let basel = BaselCode(query), query.count <= 6 {
            for i in byBasel[basel.text] ?? [] { c.add(item: i, score: 100, match: .baselCode, text: basel.text) }
        }
        if let digits = HSCode.stripSeparators(query) {
            matchHS(digits, into: &c)
        }
        if let ashrae = ASHRAEDesignation(query) {
            if let hits = byASHRAE[ashrae.key] {
                for i in hits {
                    c.add(item: i, score: 100, match: .ashraeDesignation, text: items[i].identifiers.ashrae!.text)
                }
            } else {
                // "R-410" or "R-1234ze": the designations that extend it (R-410A, R-410B; R-1234ze(E)).
                for (key, hits) in byASHRAE.sorted(by: { $0.key < $1.key })
                where key.hasPrefix(ashrae.key) && key.count <= ashrae.key.count + 3 {
                    for i in hits {
                        c.add(item: i, score: 85, match: .ashraeDesignation, text: items[i].identifiers.ashrae!.text)
                    }
                }
            }
        }
    }

    /// Identifiers inside a longer query: "CAS 75-45-6", "CAS No. 75-45-6", "R-22 refrigerant", "HS 2903.71",
    /// "maize MON-00810-6".
    func matchEmbeddedIdentifiers(_ query: String, into c: inout Collector) {
        let words = query.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "#" })
        if words.count >= 2 {
            let label = words.dropLast().joined(separator: " ").lowercased().replacingOccurrences(of: ".", with: "")
            let value = String(words.last!)
            if ["hs", "hs code", "tariff", "tariff code", "hs no", "commodity code"].contains(label),
                let digits = HSCode.stripSeparators(value)
            {
                matchHS(digits, into: &c)
            }
        }
        guard words.count >= 2 else { return }
        for found in IdentifierScanner.scan(Array(query.utf8)) {
            switch found.kind {
            case .cas(let text, let valid):
                if valid {
                    for i in byCAS[text] ?? [] { c.add(item: i, score: 98, match: .casNumber, text: text) }
                } else {
                    do { _ = try CASNumber(validating: text) } catch {
                        c.notes.append("\(error.description): check the number on the label and the documents.")
                    }
                }
            case .ashrae(let key):
                for i in byASHRAE[key] ?? [] {
                    c.add(item: i, score: 98, match: .ashraeDesignation, text: items[i].identifiers.ashrae!.text)
                }
            case .lmo(let key):
                for i in byLMO[key] ?? [] {
                    c.add(item: i, score: 98, match: .lmoIdentifier, text: items[i].identifiers.lmo!.text)
                }
            }
        }
    }

    func matchHS(_ digits: String, into c: inout Collector) {
        guard digits.count >= 4, digits.count <= 12, let chapter = Int(digits.prefix(2)), (1...97).contains(chapter)
        else { return }
        if digits.count >= 6 {
            let sub = String(digits.prefix(6))
            for i in byHS[sub] ?? [] { c.add(item: i, score: 90, match: .hsCode, text: HSCode(sub)!.formatted) }
            for l in linksByHS[sub] ?? [] { c.add(link: l, score: 88, match: .hsCode) }
            if let text = reference.hsDescriptions[sub] {
                c.notes.append("HS \(HSCode(sub)!.formatted): \(text)")
            }
            if byHS[sub] == nil && linksByHS[sub] == nil {
                c.notes.append("HS \(HSCode(sub)!.formatted) is not linked to any controlled item.")
            }
        } else {
            let heading = String(digits.prefix(4))
            if let text = reference.hsDescriptions[heading] { c.notes.append("HS \(heading): \(text)") }
            for (sub, hits) in byHS.sorted(by: { $0.key < $1.key }) where sub.hasPrefix(heading) {
                for i in hits { c.add(item: i, score: 70, match: .hsHeading, text: HSCode(sub)!.formatted) }
            }
            for (sub, links) in linksByHS.sorted(by: { $0.key < $1.key }) where sub.hasPrefix(heading) {
                for l in links { c.add(link: l, score: 70, match: .hsHeading) }
            }
        }
    }

    // MARK: Names

    func matchNames(_ normalized: String, into c: inout Collector) {
        for id in exact[normalized] ?? [] { c.add(name: id, score: Self.nameScore(names[id].kind)) }
        for id in compactKeys[SearchText.compact(normalized)] ?? [] {
            c.add(name: id, score: Self.nameScore(names[id].kind) - 2)
        }
        let stem = SearchText.stem(normalized)
        for id in stemmed[stem] ?? [] { c.add(name: id, score: Self.nameScore(names[id].kind) - 4) }

        // Word sets: every word of a name found in the query ("sturgeon caviar" → sturgeons), or every word of
        // the query found in a name ("elephant" → African elephant).
        let queryWords = Array(Set(stem.split(separator: " ").map(String.init).filter { !Self.stopWords.contains($0) }))
        guard !queryWords.isEmpty else { return }
        var counts: [Int: Int] = [:]
        for word in queryWords {
            for id in wordPostings[word] ?? [] { counts[id, default: 0] += 1 }
        }
        // A name that covers the whole query beats one that covers part of it: "perroquet gris" is the grey
        // parrot before it is the parrots.
        var partial: [(id: Int, score: Int)] = []
        var covered: [(id: Int, score: Int, uncovered: Int)] = []
        // Dictionary order differs between runs; names are visited in index order so ties resolve the same way.
        for (id, count) in counts.sorted(by: { $0.key < $1.key }) {
            let entry = names[id]
            let nameWords = Set(entry.words).count
            guard nameWords > 0 else { continue }
            if count == nameWords {
                guard entry.words.joined().count >= 4 else { continue }
                let uncovered = queryWords.count - count
                // A genus or family name inside a longer query is usually a binomial the lists may not name:
                // leave the ranking to the typo and higher-taxon rules.
                let isTaxonName = items[entry.item].kind == .taxon && (entry.kind == .name || entry.kind == .synonym)
                let score = isTaxonName && uncovered > 0 ? 70 : 82 - 6 * uncovered + min(nameWords, 3)
                covered.append((id, score, uncovered))
            } else if count == queryWords.count, queryWords.joined().count >= 3 {
                partial.append((id, max(56, 80 - 3 * (nameWords - count))))
            }
        }
        // A match on part of a name never outranks an exact match on the same kind of name.
        for (id, score, uncovered) in covered {
            let adjusted = uncovered > 0 && !partial.isEmpty ? score - 8 : score
            c.add(name: id, score: min(adjusted, Self.nameScore(names[id].kind)), match: .nameWords)
        }
        for (id, score) in partial {
            c.add(name: id, score: min(score, Self.nameScore(names[id].kind)), match: .partialName)
        }
    }

    static func nameScore(_ kind: MatchKind) -> Int {
        switch kind {
        case .name: 96
        case .synonym, .tradeName: 94
        case .commonName: 92
        case .tradeTerm: 93
        case .category: 78
        default: 80
        }
    }

    // MARK: Taxa

    /// A binomial that the lists do not name may still be covered by the listing of its genus, family or order.
    func matchHigherTaxon(_ normalized: String, into c: inout Collector) {
        let words = normalized.split(separator: " ").map(String.init)
        guard (2...3).contains(words.count), words[0].count >= 3, words[1].count >= 3 else { return }
        let genus = words[0]
        var lineage = [genus]
        if let known = genusLineage[genus] { lineage += known }
        for taxon in lineage {
            for i in higherTaxa[taxon] ?? [] where items[i].regime == .cites {
                let item = items[i]
                if item.excludes.contains(where: { SearchText.normalize($0) == normalized }) { continue }
                let name =
                    words.prefix(1).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() + " "
                    + words.dropFirst().joined(separator: " ")
                do {
                    let rank = item.taxonomy?.rank.rawValue.lowercased() ?? "taxon"
                    // A likely misspelling of a listed species outranks the inherited listing.
                    c.add(
                        item: i, score: c.sawTypo ? 74 : 86, match: .higherTaxon, text: item.names.preferred,
                        explanation:
                            "\(name) is not named in the lists Green Customs holds, but it belongs to the \(rank) \(item.names.preferred), which is listed as a whole (\(item.listingSummary)) unless a species is listed separately."
                    )
                }
            }
            if c.best >= 84 { return }
        }
    }

    /// Taxa that a higher-taxon listing expressly excludes (the budgerigar from Psittaciformes): say so.
    func matchExclusions(_ normalized: String, into c: inout Collector) {
        for i in excludedBy[normalized] ?? [] {
            let item = items[i]
            let name = item.excludes.first { SearchText.normalize($0) == normalized } ?? normalized
            c.add(
                item: i, score: 95, match: .higherTaxon, text: item.names.preferred,
                explanation:
                    "\(name) is expressly excluded from the listing of \(item.names.preferred); it is not covered by CITES.",
                notControlled: true)
        }
    }

    // MARK: Typos

    /// Names within one edit (names of 5–8 letters) or two (longer names) of the query.
    func matchTypos(_ normalized: String, into c: inout Collector) {
        let query = Array(normalized.utf8)
        let limit = SearchText.typoAllowance(forLength: query.count)
        guard limit > 0 else { return }
        for length in (query.count - limit)...(query.count + limit) {
            for id in namesByLength[length] ?? [] {
                let candidate = Array(names[id].normalized.utf8)
                let distance = SearchText.editDistance(query, candidate, limit: limit)
                if distance <= limit {
                    c.sawTypo = true
                    c.add(
                        name: id, score: Self.nameScore(names[id].kind) - 10 - 6 * distance, match: .typo,
                        explanation:
                            "No exact match; \"\(names[id].text)\" is \(distance) letter\(distance == 1 ? "" : "s") away from the query."
                    )
                }
            }
        }
    }
}

/// Gathers candidate results, keeping the best match per item.
struct Collector {
    let index: LookupIndex
    var byItem: [Int: LookupResult] = [:]
    var byLink: [Int: LookupResult] = [:]
    var notes: [String] = []
    var best = 0
    var sawTypo = false

    init(index: LookupIndex) { self.index = index }

    mutating func add(
        item i: Int, score: Int, match: MatchKind, text: String, explanation: String? = nil, notControlled: Bool = false
    ) {
        best = max(best, score)
        if let existing = byItem[i], existing.score >= score { return }
        var item = index.items[i]
        if notControlled { item.controlled = false }
        byItem[i] = LookupResult(
            item: item, hsLink: nil, regime: item.regime, score: score, match: match, matchedText: text,
            explanation: explanation, requirements: [])
    }

    mutating func add(name id: Int, score: Int, match: MatchKind? = nil, explanation: String? = nil) {
        let entry = index.names[id]
        add(item: entry.item, score: score, match: match ?? entry.kind, text: entry.text, explanation: explanation)
    }

    mutating func add(link l: Int, score: Int, match: MatchKind) {
        let link = index.reference.hsLinks[l]
        best = max(best, score)
        // A link naming specific items answers through those items; a link for a whole category stands alone.
        let itemIndexes = link.itemIDs.compactMap { index.positions[$0] }
        if !itemIndexes.isEmpty {
            for i in itemIndexes { add(item: i, score: score, match: match, text: link.hs.formatted) }
            return
        }
        if let existing = byLink[l], existing.score >= score { return }
        guard let regime = link.regimes.first else { return }
        let generic = index.reference.requirements.filter { $0.regime == regime && $0.listing == "*" }
        byLink[l] = LookupResult(
            item: nil, hsLink: link, regime: regime, score: score, match: match, matchedText: link.hs.formatted,
            explanation: link.note, requirements: generic)
    }

    static func strictness(_ result: LookupResult) -> Int {
        guard let list = result.item?.listings.first?.list else { return 5 }
        switch list {
        case "Appendix I": return 0
        case let l where l.hasPrefix("Appendix I/"): return 1
        case "Appendix II": return 2
        case let l where l.hasPrefix("Appendix III"): return 3
        default: return 2
        }
    }

    /// The best `limit` results, with their requirements (worked out only for those kept).
    func sorted(limit: Int) -> [LookupResult] {
        let all = Array(byItem.values) + Array(byLink.values)
        var kept = Array(
            all.sorted { a, b in
                if a.score != b.score { return a.score > b.score }
                let ac = a.item?.controlled ?? true
                let bc = b.item?.controlled ?? true
                if ac != bc { return ac }
                // Between equal matches, the stricter listing first: an officer must not miss Appendix I.
                let (sa, sb) = (Self.strictness(a), Self.strictness(b))
                if sa != sb { return sa < sb }
                if a.regime != b.regime { return a.regime < b.regime }
                return (a.item?.id ?? a.hsLink!.hs.digits) < (b.item?.id ?? b.hsLink!.hs.digits)
            }.prefix(limit))
        for k in kept.indices {
            if let item = kept[k].item, kept[k].hsLink == nil {
                kept[k].requirements = index.reference.requirements(for: item)
            }
        }
        return kept
    }
}
