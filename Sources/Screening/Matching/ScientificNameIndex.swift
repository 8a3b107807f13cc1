import GreenCustomsCore

/// Finds scientific names written with a typo ("Pyton regius", "Python reguis", "Pythonregius") and species
/// of a listed genus, family or order that the lists do not name one by one.
///
/// A binomial is looked up by whichever half is spelt right: a known genus narrows the candidates to its
/// species, whose epithets are compared with a bounded edit distance; a known epithet narrows them to the
/// genera that carry it. A typo that ate or moved the space is caught by looking for a genus at the start of a
/// long word. Only words that look like names are tried (letters only, at least three of them), so ordinary
/// text costs one or two table probes per word.
public struct ScientificNameIndex: Sendable {
    /// A listed species: its item and where its genus and epithet are in `letters` (lower case).
    struct Species: Sendable {
        var item: Int32
        var genusStart: Int32
        var genusEnd: Int32
        var epithetEnd: Int32
    }

    var species: [Species] = []
    var letters: [UInt8] = []
    /// Genus (exact hash of the lower-case word) → species.
    let byGenus: HashPostings
    /// Epithet (exact hash) → species.
    let byEpithet: HashPostings
    /// Genus (exact hash) → the listed taxa above species that cover it (the genus, its family, order, class).
    let coveringTaxa: HashPostings
    /// Genera without their last letter (a set), for typos that moved the space.
    let genusMinusLast: HashPostings
    /// The longest genus name, to bound the prefix search in run-together words.
    var longestGenus = 0

    public init(reference: ReferenceSet) {
        var genusPairs: [(UInt64, Int32)] = []
        var epithetPairs: [(UInt64, Int32)] = []
        var higher: [String: [Int32]] = [:]
        var lineage: [String: [String]] = [:]
        for (i, item) in reference.items.enumerated() {
            guard let taxonomy = item.taxonomy else { continue }
            let name = Self.lowerASCII(item.names.preferred)
            switch taxonomy.rank {
            case .species:
                let words = name.split(separator: 0x20)
                guard words.count == 2, words[0].count >= 3, words[1].count >= 3 else { break }
                let start = Int32(letters.count)
                letters += words[0]
                let middle = Int32(letters.count)
                letters += words[1]
                let entry = Species(
                    item: Int32(i), genusStart: start, genusEnd: middle, epithetEnd: Int32(letters.count))
                genusPairs.append((ByteTokenizer.hash(words[0]), Int32(species.count)))
                epithetPairs.append((ByteTokenizer.hash(words[1]), Int32(species.count)))
                longestGenus = max(longestGenus, words[0].count)
                species.append(entry)
            case .subspecies, .variety:
                break
            default:
                if item.controlled { higher[String(decoding: name, as: UTF8.self), default: []].append(Int32(i)) }
            }
            if let genus = taxonomy.genus {
                let key = String(decoding: Self.lowerASCII(genus), as: UTF8.self)
                if lineage[key, default: []].isEmpty {
                    lineage[key] =
                        [key]
                        + [taxonomy.family, taxonomy.order, taxonomy.class].compactMap {
                            $0.map { String(decoding: Self.lowerASCII($0), as: UTF8.self) }
                        }
                }
            }
        }
        var covering: [(UInt64, Int32)] = []
        for (genus, ranks) in lineage.sorted(by: { $0.key < $1.key }) {
            // The nearest listed rank decides (a genus listed in Appendix I inside a family listed in II).
            guard let listed = ranks.lazy.compactMap({ higher[$0] }).first else { continue }
            for item in listed { covering.append((ByteTokenizer.hash(Array(genus.utf8)[...]), item)) }
        }
        var minusLast: [(UInt64, Int32)] = []
        for s in species {
            let g = letters[Int(s.genusStart)..<Int(s.genusEnd - 1)]
            minusLast.append((ByteTokenizer.hash(g), 0))
        }
        genusMinusLast = HashPostings(minusLast)
        byGenus = HashPostings(genusPairs)
        byEpithet = HashPostings(epithetPairs)
        coveringTaxa = HashPostings(covering)
    }

    static func lowerASCII(_ s: String) -> [UInt8] {
        s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }
    }

    /// A binomial found in a text.
    public struct Hit: Equatable, Sendable {
        public var item: Int
        public var start: Int
        public var end: Int
        /// 0 for an unlisted species of a listed higher taxon.
        public var distance: Int
        /// True when the item is the higher taxon that covers an unlisted species.
        public var inherited: Bool
    }

    /// The most edits a misspelt half of a binomial may have, by its length.
    @inline(__always)
    static func allowance(_ length: Int) -> Int { length >= 8 ? 2 : length >= 5 ? 1 : 0 }

    /// Looks for misspelt binomials and unlisted species of listed taxa in `text` (lower-cased on the fly), whose
    /// tokens are `tokens`. `covered(i)` says whether token `i` is already part of an exact name match.
    func scan(
        _ text: UnsafeBufferPointer<UInt8>, tokens: [ByteTokenizer.Token], facts: [UInt32], covered: (Int) -> Bool,
        into hits: inout [Hit]
    ) {
        // Nothing on the line can start a binomial: the common case, decided from the words' facts alone.
        let any = facts.reduce(0, |)
        let useful =
            TokenFacts.genus | TokenFacts.epithet | TokenFacts.coveredGenus | TokenFacts.genusMinusLast
            | TokenFacts.genusPlusOne | TokenFacts.startsWithGenus
        guard any & useful != 0 else { return }
        letters.withUnsafeBufferPointer { letters in
            species.withUnsafeBufferPointer { species in
                let search = Search(index: self, letters: letters, species: species, text: text)
                search.scan(tokens, facts: facts, covered: covered, into: &hits)
            }
        }
    }

    /// Whether a long word starts with a genus name (a run-together binomial is possible).
    func startsWithGenus(_ text: UnsafeBufferPointer<UInt8>, _ t: ByteTokenizer.Token) -> Bool {
        genusPrefixes(text, t) { _, _ in true } ?? false
    }

    /// Calls `body` with the end offset and the genus species range of every prefix of the word `t` (three letters
    /// or more, leaving three for an epithet) that is a genus, until `body` returns a value.
    @inline(__always)
    func genusPrefixes<T>(
        _ text: UnsafeBufferPointer<UInt8>, _ t: ByteTokenizer.Token, _ body: (Int, Range<Int>) -> T?
    ) -> T? {
        var h = ByteTokenizer.offsetBasis
        let limit = min(t.end - 3, t.start + longestGenus)
        var k = t.start
        while k < limit {
            let b = text[k]
            guard Self.isLetter(b) else { return nil }
            h = (h ^ UInt64(b | 0x20)) &* ByteTokenizer.prime
            k += 1
            if k - t.start < 3 { continue }
            let species = byGenus.range(h)
            if !species.isEmpty, let found = body(k, species) { return found }
        }
        return nil
    }

    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    /// One scan over a text, with the index's storage borrowed as raw buffers.
    struct Search {
        let index: ScientificNameIndex
        let letters: UnsafeBufferPointer<UInt8>
        let species: UnsafeBufferPointer<Species>
        let text: UnsafeBufferPointer<UInt8>

        @inline(__always) func genus(_ s: Species) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: letters[Int(s.genusStart)..<Int(s.genusEnd)])
        }

        @inline(__always) func epithet(_ s: Species) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: letters[Int(s.genusEnd)..<Int(s.epithetEnd)])
        }

        func scan(_ tokens: [ByteTokenizer.Token], facts: [UInt32], covered: (Int) -> Bool, into hits: inout [Hit]) {
            let n = tokens.count
            var i = 0
            while i < n {
                let t = tokens[i]
                let length = t.end - t.start
                let f = facts[i]
                if t.isNumber || length < 3 || covered(i) {
                    i += 1
                    continue
                }
                let isGenus = f & TokenFacts.genus != 0
                let genusSpecies = isGenus ? index.byGenus.range(t.exactHash) : 0..<0
                let nextFacts = i + 1 < n ? facts[i + 1] : 0
                let pairPossible =
                    f
                    & (TokenFacts.genus | TokenFacts.coveredGenus | TokenFacts.genusMinusLast | TokenFacts.genusPlusOne)
                    != 0 || nextFacts & TokenFacts.epithet != 0
                if pairPossible, i + 1 < n, !tokens[i + 1].isNumber, !covered(i + 1) {
                    let next = tokens[i + 1]
                    var hit: Hit?
                    if !genusSpecies.isEmpty {
                        // Genus right: compare the epithet with the genus's species; else a species of a listed
                        // genus or family that is not named one by one.
                        if next.end - next.start >= 3 {
                            hit = best(
                                genusSpecies, index.byGenus, word: next, genusPart: false, start: t.start, end: next.end
                            )
                        }
                        if hit == nil, f & TokenFacts.coveredGenus != 0 { hit = inherited(genus: t, epithet: next) }
                    } else {
                        if length >= 4, nextFacts & TokenFacts.epithet != 0 { hit = misspeltGenus(t, next) }
                        if hit == nil, length >= 4, f & (TokenFacts.genusMinusLast | TokenFacts.genusPlusOne) != 0 {
                            hit = movedSpace(t, next)
                        }
                        if hit == nil, f & TokenFacts.coveredGenus != 0 { hit = inherited(genus: t, epithet: next) }
                    }
                    if let hit {
                        hits.append(hit)
                        i += 2
                        continue
                    }
                }
                if genusSpecies.isEmpty, f & TokenFacts.startsWithGenus != 0, let hit = runTogether(t) {
                    hits.append(hit)
                }
                i += 1
            }
        }

        /// The closest candidate within the allowance for the misspelt half `word`.
        @inline(__always)
        func best(
            _ candidates: Range<Int>, _ table: HashPostings, word: ByteTokenizer.Token, genusPart: Bool, start: Int,
            end: Int
        ) -> Hit? {
            let length = word.end - word.start
            let limit = allowance(length)
            guard limit > 0 else { return nil }
            var bestDistance = limit + 1
            var bestItem: Int32 = -1
            let first = text[word.start] | 0x20
            for c in candidates {
                let s = species[Int(table.value(at: c))]
                let target = genusPart ? genus(s) : epithet(s)
                // Typos rarely hit the first letter; requiring it keeps "minor parts" from becoming a species.
                guard abs(target.count - length) <= limit, target[0] == first else { continue }
                let d = EditDistance.bounded(text, word.start, word.end, target, limit: bestDistance - 1)
                if d < bestDistance || (d == bestDistance && s.item < bestItem) {
                    bestDistance = d
                    bestItem = s.item
                }
            }
            guard bestItem >= 0, bestDistance >= 1 else { return nil }
            return Hit(item: Int(bestItem), start: start, end: end, distance: bestDistance, inherited: false)
        }

        @inline(__always)
        func allowance(_ length: Int) -> Int { ScientificNameIndex.allowance(length) }

        /// A binomial whose genus is misspelt, found by its epithet.
        @inline(__always)
        func misspeltGenus(_ t: ByteTokenizer.Token, _ next: ByteTokenizer.Token) -> Hit? {
            let epithetSpecies = index.byEpithet.range(next.exactHash)
            guard !epithetSpecies.isEmpty else { return nil }
            return best(epithetSpecies, index.byEpithet, word: t, genusPart: true, start: t.start, end: next.end)
        }

        /// "Xus yus" where Xus is a genus of a listed taxon but the species is not listed by name.
        @inline(__always)
        func inherited(genus: ByteTokenizer.Token, epithet: ByteTokenizer.Token) -> Hit? {
            let taxa = index.coveringTaxa.range(genus.exactHash)
            guard !taxa.isEmpty, epithet.end - epithet.start >= 3 else { return nil }
            // An epithet is a lower-case Latin word: letters only.
            for k in epithet.start..<epithet.end where !ScientificNameIndex.isLetter(text[k]) { return nil }
            let item = index.coveringTaxa.value(at: taxa.lowerBound)
            return Hit(item: Int(item), start: genus.start, end: epithet.end, distance: 0, inherited: true)
        }

        /// "Pytho nregius" or "Pythonr egius": the typo moved the space by one letter.
        func movedSpace(_ a: ByteTokenizer.Token, _ b: ByteTokenizer.Token) -> Hit? {
            // Genus lost its last letter to the epithet.
            let extended = (a.exactHash ^ UInt64(text[b.start] | 0x20)) &* ByteTokenizer.prime
            for c in index.byGenus.range(extended) {
                let s = species[Int(index.byGenus.value(at: c))]
                if equals(b.start + 1, b.end, epithet(s)[...]) {
                    return Hit(item: Int(s.item), start: a.start, end: b.end, distance: 1, inherited: false)
                }
            }
            // Genus took the first letter of the epithet.
            let last = text[a.end - 1] | 0x20
            for c in index.byGenus.range(a.exactHashButLast) {
                let s = species[Int(index.byGenus.value(at: c))]
                let e = epithet(s)
                guard e.count == b.end - b.start + 1, e[0] == last else { continue }
                if equals(b.start, b.end, e[1...]) {
                    return Hit(item: Int(s.item), start: a.start, end: b.end, distance: 1, inherited: false)
                }
            }
            return nil
        }

        /// "Pythonregius" (the space deleted) or "Pythonxregius" (the space replaced).
        func runTogether(_ t: ByteTokenizer.Token) -> Hit? {
            index.genusPrefixes(text, t) { k, candidates in
                for c in candidates {
                    let s = species[Int(index.byGenus.value(at: c))]
                    let e = epithet(s)[...]
                    if equals(k, t.end, e) || equals(k + 1, t.end, e) {
                        return Hit(item: Int(s.item), start: t.start, end: t.end, distance: 1, inherited: false)
                    }
                }
                return nil
            }
        }

        @inline(__always)
        func equals(_ start: Int, _ end: Int, _ target: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
            guard end - start == target.count else { return false }
            var k = start
            for b in target {
                if text[k] | 0x20 != b { return false }
                k += 1
            }
            return true
        }
    }
}

/// Edit distance with adjacent transpositions (optimal string alignment), stopping early past a limit.
enum EditDistance {
    /// The distance between `text[start..<end]` (lower-cased) and `target`, or `limit + 1` when it exceeds `limit`.
    static func bounded(
        _ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ target: UnsafeBufferPointer<UInt8>, limit: Int
    ) -> Int {
        let m = end - start
        let n = target.count
        if abs(m - n) > limit { return limit + 1 }
        if m > 48 || n > 48 { return limit + 1 }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * (n + 1)) { rows in
            var prev2 = 0
            var prev = n + 1
            var cur = 2 * (n + 1)
            for j in 0...n { rows[prev + j] = j }
            for i in 1...max(m, 1) where m > 0 {
                rows[cur] = i
                var rowMin = i
                let a = text[start + i - 1] | 0x20
                for j in 1...max(n, 1) where n > 0 {
                    let b = target[j - 1]
                    var d = min(rows[prev + j] + 1, rows[cur + j - 1] + 1, rows[prev + j - 1] + (a == b ? 0 : 1))
                    if i > 1, j > 1, a == target[j - 2], (text[start + i - 2] | 0x20) == b {
                        d = min(d, rows[prev2 + j - 2] + 1)
                    }
                    rows[cur + j] = d
                    rowMin = min(rowMin, d)
                }
                if rowMin > limit { return limit + 1 }
                (prev2, prev, cur) = (prev, cur, prev2)
            }
            let result = m == 0 ? n : rows[prev + n]
            return min(result, limit + 1)
        }
    }
}
