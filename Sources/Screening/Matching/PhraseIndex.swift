import GreenCustomsCore

/// Every name of the reference set as a sequence of token hashes, indexed by its first token, so that the names
/// occurring in a free-text description are found with one hash look-up per word of the text.
public struct PhraseIndex: Sendable {
    /// A name: its tokens, the item it names and how.
    public struct Phrase: Sendable {
        public var tokens: [UInt64]
        public var item: Int
        public var kind: MatchKind
    }

    /// A name found in a text: which phrase, and the byte range of the text it covers.
    public struct Match: Equatable, Sendable {
        public var phrase: Int
        public var item: Int
        public var kind: MatchKind
        public var start: Int
        public var end: Int
        public var tokenCount: Int
    }

    public private(set) var phrases: [Phrase] = []
    /// First-token hash → phrases starting with it.
    var byFirstToken: [UInt64: [Int32]] = [:]

    public init(reference: ReferenceSet) {
        for (i, item) in reference.items.enumerated() {
            add(item.names.preferred, item: i, kind: .name)
            for s in item.names.synonyms { add(s, item: i, kind: .synonym) }
            for t in item.names.tradeNames { add(t, item: i, kind: .tradeName) }
            for (_, list) in item.names.common.sorted(by: { $0.key < $1.key }) {
                for c in list { add(c, item: i, kind: .commonName) }
            }
        }
        var positions: [String: Int] = [:]
        for (i, item) in reference.items.enumerated() { positions[item.id] = i }
        for term in reference.tradeTerms {
            for id in term.itemIDs { if let i = positions[id] { add(term.term, item: i, kind: .tradeTerm) } }
        }
    }

    mutating func add(_ name: String, item: Int, kind: MatchKind) {
        let tokens = ByteTokenizer.tokens(Array(name.utf8)).map(\.hash)
        guard let first = tokens.first else { return }
        byFirstToken[first, default: []].append(Int32(phrases.count))
        phrases.append(Phrase(tokens: tokens, item: item, kind: kind))
    }

    /// The names found in `text`, longest first where they overlap, on word boundaries. A name of several words
    /// matches only as a whole ("African elephant" does not match "African grey").
    public func matches(in text: some Collection<UInt8>) -> [Match] {
        let tokens = ByteTokenizer.tokens(text)
        var found: [Match] = []
        for i in tokens.indices {
            guard let candidates = byFirstToken[tokens[i].hash] else { continue }
            for id in candidates {
                let phrase = phrases[Int(id)]
                let count = phrase.tokens.count
                guard i + count <= tokens.count else { continue }
                var same = true
                var k = 1
                while k < count {
                    if tokens[i + k].hash != phrase.tokens[k] {
                        same = false
                        break
                    }
                    k += 1
                }
                if same {
                    found.append(
                        Match(
                            phrase: Int(id), item: phrase.item, kind: phrase.kind, start: tokens[i].start,
                            end: tokens[i + count - 1].end, tokenCount: count))
                }
            }
        }
        // Keep the longest of overlapping matches (all matches of that length, since several items may share a name).
        found.sort { ($0.tokenCount, $1.start) > ($1.tokenCount, $0.start) }
        var kept: [Match] = []
        for match in found {
            let overlapsLonger = kept.contains { other in
                other.tokenCount > match.tokenCount && other.start < match.end && match.start < other.end
            }
            if !overlapsLonger { kept.append(match) }
        }
        return kept.sorted { ($0.start, $0.item) < ($1.start, $1.item) }
    }
}
