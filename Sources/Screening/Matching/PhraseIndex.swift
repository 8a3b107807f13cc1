import Foundation
import GreenCustomsCore

/// Every name of the reference set as a sequence of token hashes, indexed by its first token, so that the names
/// occurring in a free-text description are found with one hash look-up per word of the text.
public struct PhraseIndex: Sendable {
    /// A name: where its tokens are in `tokenStore`, the item it names and how.
    public struct Phrase: Sendable {
        var tokenStart: Int32
        public var tokenCount: Int32
        public var item: Int32
        public var kind: MatchKind
        /// How many items share this exact name (a trade term such as "sharks" names several taxa).
        public var sharedBy: Int32
        /// Bit k: the name has punctuation before its word k (the text may have it there, nowhere else).
        var breaks: UInt32 = 0
    }

    /// A name found in a text: which phrase, and the byte range of the text it covers.
    public struct Match: Equatable, Sendable {
        public var phrase: Int
        public var item: Int
        public var kind: MatchKind
        public var start: Int
        public var end: Int
        public var tokenCount: Int
        /// The position of the first token of the match among the text's tokens.
        public var firstToken: Int
    }

    public private(set) var phrases: [Phrase] = []
    /// The name of each phrase as written in the reference data.
    public private(set) var texts: [String] = []
    var tokenStore: [UInt64] = []
    /// One-word names by their word's hash.
    var singleWord = HashPostings([])
    /// Names of two or more words by the hash of their first two words, so a common first word ("cotton", "n")
    /// costs nothing unless its successor also fits.
    var byFirstTwo = HashPostings([])
    /// The first words of names of two or more words (a set: the values are unused).
    var firstWords = HashPostings([])

    /// A name ready to be indexed: its words' hashes and where punctuation breaks it.
    struct Prepared: Sendable {
        var tokens: [UInt64]
        var breaks: UInt32
        var item: Int32
        var kind: MatchKind
        var text: String
    }

    /// The indexable forms of one name (see `variants`), tokenized.
    static func prepare(_ name: String, item: Int, kind: MatchKind, into out: inout [Prepared]) {
        for variant in variants(of: name) {
            let parsed = ByteTokenizer.tokens(Array(variant.utf8))
            // A bare number ("5307") is never a name in free text.
            guard !parsed.isEmpty, parsed.contains(where: { !$0.isNumber }) else { continue }
            var breaks: UInt32 = 0
            for (k, t) in parsed.prefix(32).enumerated() where t.afterBreak { breaks |= 1 << UInt32(k) }
            out.append(Prepared(tokens: parsed.map(\.hash), breaks: breaks, item: Int32(item), kind: kind, text: name))
        }
    }

    /// A hash of a whole word sequence.
    static func sequenceKey(_ tokens: [UInt64]) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for t in tokens { h = (h ^ t) &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B }
        return h
    }

    public init(reference: ReferenceSet) {
        let items = reference.items
        // Splitting and hashing ~200,000 names is the expensive part: on every core, in item order.
        var prepared = Parallel.mapChunks(count: items.count, minimumChunk: 2_000) { range -> [Prepared] in
            var out: [Prepared] = []
            for i in range {
                let item = items[i]  // (names and identifiers only; the copy is cheap next to the string work)
                PhraseIndex.prepare(item.names.preferred, item: i, kind: .name, into: &out)
                if item.regime == .basel {
                    for head in PhraseIndex.baselHeads(item.names.preferred) {
                        PhraseIndex.prepare(head, item: i, kind: .synonym, into: &out)
                    }
                }
                for s in item.names.synonyms { PhraseIndex.prepare(s, item: i, kind: .synonym, into: &out) }
                for t in item.names.tradeNames { PhraseIndex.prepare(t, item: i, kind: .tradeName, into: &out) }
                for (_, list) in item.names.common.sorted(by: { $0.key < $1.key }) {
                    for c in list { PhraseIndex.prepare(c, item: i, kind: .commonName, into: &out) }
                }
                // Ozone-depleting substances are often declared by formula ("HBFC-244 B1 (C3H3F4Br)").
                if item.regime == .montreal, item.kind == .substance, let formula = item.identifiers.formula,
                    formula.count >= 4, !formula.contains(" ")
                {
                    PhraseIndex.prepare(formula, item: i, kind: .synonym, into: &out)
                }
            }
            return out
        }.flatMap { $0 }
        // Trade terms name items by id: the positions of the few ids they use, in one pass over the items.
        var positions: [String: Int] = [:]
        for term in reference.tradeTerms { for id in term.itemIDs { positions[id] = -1 } }
        if !positions.isEmpty {
            for (i, item) in items.enumerated() where positions[item.id] != nil { positions[item.id] = i }
        }
        for term in reference.tradeTerms {
            for id in term.itemIDs {
                if let i = positions[id], i >= 0 { Self.prepare(term.term, item: i, kind: .tradeTerm, into: &prepared) }
            }
        }
        var singles: [(UInt64, Int32)] = []
        var pairs: [(UInt64, Int32)] = []
        var firsts: [(UInt64, Int32)] = []
        var seen = KeySet(capacity: prepared.count)
        var keys: [(UInt64, Int32)] = []
        phrases.reserveCapacity(prepared.count)
        texts.reserveCapacity(prepared.count)
        keys.reserveCapacity(prepared.count)
        for p in prepared {
            let key = Self.sequenceKey(p.tokens)
            // A name written twice for one item (a synonym equal to a common name) is one phrase, the first kind.
            guard seen.insert(key ^ (UInt64(UInt32(bitPattern: p.item)) &* 0xD6E8_FEB8_6659_FD93)) else { continue }
            let id = Int32(phrases.count)
            keys.append((key, id))
            if p.tokens.count == 1 {
                singles.append((p.tokens[0], id))
            } else {
                pairs.append((Self.pairKey(p.tokens[0], p.tokens[1]), id))
                firsts.append((p.tokens[0], 0))
            }
            phrases.append(
                Phrase(
                    tokenStart: Int32(tokenStore.count), tokenCount: Int32(p.tokens.count), item: p.item, kind: p.kind,
                    sharedBy: 1, breaks: p.breaks))
            texts.append(p.text)
            tokenStore += p.tokens
        }
        // How many phrases (of different items) have each word sequence.
        let sharing = HashPostings(keys)
        for (key, id) in keys { phrases[Int(id)].sharedBy = Int32(sharing.range(key).count) }
        singleWord = HashPostings(singles)
        byFirstTwo = HashPostings(pairs)
        firstWords = HashPostings(firsts)
    }

    /// The forms a name is found by in free text: itself; without a bracketed part ("DDT (dichlorodiphenyl…)" →
    /// "DDT"); the bracketed part when what it explains is an acronym; and the head of "X and its salts and esters".
    /// A bracketed qualifier of a longer name ("Actinolite (asbestos)", "HCFC-123 (isomers)") is not a name.
    static func variants(of name: String) -> [String] {
        var out = [name]
        // "HBFC-243B2" is also written "HBFC-243 B2".
        let utf8 = Array(name.utf8)
        if utf8.count >= 4, utf8[utf8.count - 2] == 0x42, utf8[utf8.count - 1] >= 0x30, utf8[utf8.count - 1] <= 0x39,
            utf8[utf8.count - 3] >= 0x30, utf8[utf8.count - 3] <= 0x39
        {
            out.append(
                String(decoding: utf8.dropLast(2), as: UTF8.self) + " "
                    + String(decoding: utf8.suffix(2), as: UTF8.self))
        }
        // "Sarin: O-Isopropyl methylphosphonofluoridate" is found by either part.
        if let colon = Self.find(utf8, ": "), colon > 0 {
            out.append(String(decoding: utf8[..<colon], as: UTF8.self))
            out.append(String(decoding: utf8[(colon + 2)...], as: UTF8.self))
        }
        if let bracket = Self.find(utf8, " ("), let close = Self.closing(utf8, bracket + 2) {
            // Bytes: `bracket` is the space, `bracket + 1` the "(", `close` the matching ")".
            let outside = Array(utf8[..<(bracket + 1)]) + Array(utf8[(close + 1)...])
            out.append(String(decoding: outside, as: UTF8.self))
            let inside = utf8[(bracket + 2)..<close]
            let outsideLength = outside.filter { $0 != 0x20 }.count
            if inside.count >= 4, outsideLength <= 6 { out.append(String(decoding: inside, as: UTF8.self)) }
        }
        for separator: StaticString in [" and its ", ", its "] {
            if let at = Self.find(utf8, separator), at >= 3 {
                out.append(String(decoding: utf8[..<at], as: UTF8.self))
                break
            }
        }
        return out
    }

    /// The offset of the `)` that closes the bracket opened just before `start`, counting nested brackets.
    static func closing(_ bytes: [UInt8], _ start: Int) -> Int? {
        var depth = 1
        var i = start
        while i < bytes.count {
            if bytes[i] == 0x28 { depth += 1 }
            if bytes[i] == 0x29 {
                depth -= 1
                if depth == 0 { return i }
            }
            i += 1
        }
        return nil
    }

    /// Basel entries are long descriptions; traders write their head: "Waste lead-acid batteries, whole or crushed"
    /// is found as "waste lead-acid batteries" and "lead-acid batteries" (a waste word is still required).
    static func baselHeads(_ name: String) -> [String] {
        guard let comma = name.range(of: ", ") else { return [] }
        let head = String(name[..<comma.lowerBound])
        guard head.split(separator: " ").count >= 2 else { return [] }
        var out = [head]
        for prefix in ["Waste ", "Wastes "] where head.hasPrefix(prefix) {
            let rest = String(head.dropFirst(prefix.count))
            if rest.split(separator: " ").count >= 2 || rest.contains("-") { out.append(rest) }
        }
        return out
    }

    /// The byte offset of `needle` in `haystack`, if present.
    static func find(_ haystack: [UInt8], _ needle: StaticString) -> Int? {
        let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard haystack.count >= n.count, let first = n.first else { return nil }
        outer: for i in 0...(haystack.count - n.count) where haystack[i] == first {
            for k in 1..<n.count where haystack[i + k] != n[k] { continue outer }
            return i
        }
        return nil
    }

    public func tokens(of phrase: Int) -> ArraySlice<UInt64> {
        let p = phrases[phrase]
        return tokenStore[Int(p.tokenStart)..<Int(p.tokenStart + p.tokenCount)]
    }

    @inline(__always)
    static func pairKey(_ a: UInt64, _ b: UInt64) -> UInt64 {
        (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &+ 0x632B_E59B_D9B4_E019)
    }

    /// Calls `body` for every name that occurs at a token of `tokens`, on word boundaries, in text order.
    @inline(__always)
    /// `facts`, when given, are the words' `TokenFacts`: a word that starts no name costs no probe.
    func forEachMatch(in tokens: [ByteTokenizer.Token], facts: [UInt32]? = nil, _ body: (Match) -> Void) {
        let singles = singleWord
        let pairs = byFirstTwo
        let n = tokens.count
        for i in 0..<n {
            let h = tokens[i].hash
            let f = facts?[i] ?? (TokenFacts.singleName | TokenFacts.firstOfName)
            if f & TokenFacts.singleName != 0 {
                for c in singles.range(h) {
                    let id = singles.value(at: c)
                    let phrase = phrases[Int(id)]
                    body(
                        Match(
                            phrase: Int(id), item: Int(phrase.item), kind: phrase.kind, start: tokens[i].start,
                            end: tokens[i].end, tokenCount: 1, firstToken: i))
                }
            }
            guard i + 1 < n, f & TokenFacts.firstOfName != 0 else { continue }
            let candidates = pairs.range(Self.pairKey(h, tokens[i + 1].hash))
            for c in candidates {
                let id = pairs.value(at: c)
                let phrase = phrases[Int(id)]
                let count = Int(phrase.tokenCount)
                guard i + count <= n else { continue }
                let base = Int(phrase.tokenStart)
                // The key is a hash of two hashes: check both, then the rest.
                var same = true
                var k = 0
                while k < count {
                    if tokens[i + k].hash != tokenStore[base + k]
                        || (k > 0 && tokens[i + k].afterBreak && (k >= 32 || phrase.breaks & (1 << UInt32(k)) == 0))
                    {
                        same = false
                        break
                    }
                    k += 1
                }
                if same {
                    body(
                        Match(
                            phrase: Int(id), item: Int(phrase.item), kind: phrase.kind, start: tokens[i].start,
                            end: tokens[i + count - 1].end, tokenCount: count, firstToken: i))
                }
            }
        }
    }

    /// The names found in `text`, longest first where they overlap, on word boundaries. A name of several words
    /// matches only as a whole ("African elephant" does not match "African grey").
    public func matches(in text: some Collection<UInt8>) -> [Match] {
        let tokens = ByteTokenizer.tokens(text)
        var found: [Match] = []
        forEachMatch(in: tokens) { found.append($0) }
        return Self.longest(found)
    }

    /// Keeps the longest of overlapping matches (all matches of that length, since several items may share a
    /// name), in text order.
    static func longest(_ found: [Match]) -> [Match] {
        if found.count <= 1 { return found }
        let sorted = found.sorted { ($0.tokenCount, $1.start, $1.item) > ($1.tokenCount, $0.start, $0.item) }
        var kept: [Match] = []
        for match in sorted {
            let overlapsLonger = kept.contains { other in
                other.tokenCount > match.tokenCount && other.start < match.end && match.start < other.end
            }
            if !overlapsLonger { kept.append(match) }
        }
        return kept.sorted { ($0.start, $0.item, $0.phrase) < ($1.start, $1.item, $1.phrase) }
    }
}
