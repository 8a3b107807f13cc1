import Foundation
import GreenCustomsCore

/// Screens declaration lines against every list of the reference set at once and explains each hit.
///
/// Build one engine per reference version (it indexes every name, identifier and HS code, about a quarter of a
/// second with a full CITES list) and share it: `screen` is a pure function of the line and the reference set, safe
/// to call from any number of threads. The same line and the same reference version always give the same
/// result. Matching semantics are described in `Docs/screening.md`.
public final class ScreeningEngine: Sendable {
    public let reference: ReferenceSet
    let phrases: PhraseIndex
    let scientificNames: ScientificNameIndex
    let context: ContextRules
    /// Items, identifiers, requirements and countries as the engine looks them up (see `Tables`).
    let tables: Tables
    /// HS chapter (two digits) → whether listed chemicals or listed animals and plants are classified there.
    let chapterClasses: [UInt8]
    static let chemicalChapter: UInt8 = 1
    static let wildlifeChapter: UInt8 = 2
    /// HS headings of wastes and scrap (a set).
    let wasteHeadings: HashPostings
    /// Each HS link's texts for findings that rest on the code: (listing, explanation, explanation with the note).
    let linkTexts: [(listing: String, explanation: String, withNote: String)]
    /// Each item's listing as shown in findings (`ControlledItem.listingSummary`), computed once.
    let listingSummaries: [String]
    /// Each item's id and preferred name, for findings: reading them through `reference.items[i]` copied the whole
    /// item (every field retained and released) each time.
    let itemIDs: [String]
    let preferredNames: [String]
    /// The JSON Lines result of a line with nothing on it, after its line id: most lines of a file are written as
    /// `{"line_id":` + the id + this.
    let quietTail: [UInt8]
    /// Scratch space put back by `withSpareScratch`.
    let spares = SpareScratch()

    /// What the engine needs of an item in the hot path, computed once.
    struct ItemFacts: Sendable {
        var regime: Regime
        var controlled: Bool
        var isTaxon: Bool
        var isChemical: Bool
        /// HS subheadings as numbers.
        var subheadings: [Int32]
        /// Indexes into `requirementGroups`, one per listing.
        var requirementGroups: [Int32]
    }

    public init(reference: ReferenceSet) {
        self.reference = reference
        var chapters = [UInt8](repeating: 0, count: 100)
        for c in LineScreening.chemicalChapters { chapters[c] |= Self.chemicalChapter }
        for c in LineScreening.wildlifeChapters { chapters[c] |= Self.wildlifeChapter }
        chapterClasses = chapters
        wasteHeadings = HashPostings(LineScreening.wasteHeadings.map { (UInt64($0), 0) })
        linkTexts = reference.hsLinks.map { link in
            let plain = "HS \(link.hs.formatted): \(link.description)"
            return (
                "HS 2022 \(link.hs.formatted) (\(link.coverage.rawValue) listed goods)", plain,
                link.note.map { "HS \(link.hs.formatted) (\(link.description)): \($0)" } ?? plain
            )
        }
        itemIDs = reference.items.map(\.id)
        preferredNames = reference.items.map(\.names.preferred)
        listingSummaries = Parallel.mapChunks(count: reference.items.count, minimumChunk: 4_000) { range in
            range.map { reference.items[$0].listingSummary }
        }.flatMap { $0 }
        quietTail = {
            var out: [UInt8] = []
            let quiet = ScreeningResult(
                lineID: "", lineNumber: 0, lane: .green, riskScore: 0, findings: [], flags: [],
                referenceVersion: reference.version)
            ResultWriter.jsonLine(quiet, into: &out)
            let head = Array(#"{"line_id":"""#.utf8)
            precondition(out.starts(with: head), "the JSON Lines result starts with its line id")
            return Array(out.dropFirst(head.count))
        }()
        // The phrase index is the longest part: the name index and the tables are built beside it.
        let (phraseIndex, (nameIndex, tables)) = Parallel.pair(
            { PhraseIndex(reference: reference) },
            { (ScientificNameIndex(reference: reference), Tables(reference)) })
        phrases = phraseIndex
        scientificNames = nameIndex
        context = ContextRules()
        self.tables = tables
    }

    /// The engine's tables of items, identifiers, requirements and countries, built beside the scientific-name
    /// index (the phrase index, the longest part of start-up, takes the other core).
    struct Tables: Sendable {
        let facts: [ItemFacts]
        let byCAS: [String: [Int32]]
        let byASHRAE: [String: [Int32]]
        /// A designation without its letter suffix → the one item that extends it ("R509" → R-509A).
        let ashraeExtensions: [String: Int32]
        let byLMO: [String: [Int32]]
        let byBasel: [String: [Int32]]
        /// HS subheading (6 digits, as a number) → items that carry it.
        let byHS: HashPostings
        /// HS subheading → links of the interconnection table.
        let linksByHS: HashPostings
        let countries: [String: Int]
        /// The requirements of each distinct listing (regime and list).
        let requirementGroups: [[Requirement]]
        /// Items with exclusions → the excluded names as token hashes.
        let exclusions: [Int32: [[UInt64]]]
        /// Item id → position.
        let positions: [String: Int32]
        /// What `LineScreening.requirements` returns, worked out once: for each distinct list of requirement groups,
        /// the requirements by direction slot (`Direction.allCases`, then the last slot for a line without one).
        let requirementsBySlot: [[[Requirement]]]
        /// Item position → its entry in `requirementsBySlot`.
        let itemRequirements: [Int32]
        /// "component of R-410A (50 % by mass)", by blend position and component position (`componentKey`).
        let componentTexts: [Int64: String]
        /// Item position → the positions of its controlled components, in the order of its composition (empty for
        /// all but blends).
        let controlledComponents: [[Int32]]

        static func componentKey(blend: Int32, component: Int32) -> Int64 {
            Int64(blend) << 32 | Int64(UInt32(bitPattern: component))
        }

        init(_ reference: ReferenceSet) {
            var facts: [ItemFacts] = []
            var byCAS: [String: [Int32]] = [:]
            var byASHRAE: [String: [Int32]] = [:]
            var byLMO: [String: [Int32]] = [:]
            var byBasel: [String: [Int32]] = [:]
            var byHS: [(UInt64, Int32)] = []
            var exclusions: [Int32: [[UInt64]]] = [:]
            var positions: [String: Int32] = [:]
            var groupIndex: [String: Int32] = [:]
            var groupKeys: [(Regime, String)] = []
            facts.reserveCapacity(reference.items.count)
            for (index, item) in reference.items.enumerated() {
                let i = Int32(index)
                positions[item.id] = i
                let subheadings = item.identifiers.hs.compactMap { Int32($0.subheading) }
                var groups: [Int32] = []
                for listing in item.listings {
                    let key = listing.regime.rawValue + "|" + listing.list
                    if let g = groupIndex[key] {
                        groups.append(g)
                    } else {
                        let g = Int32(groupKeys.count)
                        groupIndex[key] = g
                        groupKeys.append((listing.regime, listing.list))
                        groups.append(g)
                    }
                }
                facts.append(
                    ItemFacts(
                        regime: item.regime, controlled: item.controlled, isTaxon: item.taxonomy != nil,
                        isChemical: [.substance, .mixture, .scheduledChemical, .family].contains(item.kind)
                            && item.regime != .cites && item.regime != .basel && item.regime != .cartagena,
                        subheadings: subheadings,
                        requirementGroups: groups))
                for cas in item.identifiers.cas { byCAS[cas.text, default: []].append(i) }
                if let a = item.identifiers.ashrae { byASHRAE[a.key, default: []].append(i) }
                if let l = item.identifiers.lmo { byLMO[l.key, default: []].append(i) }
                if let b = item.identifiers.basel { byBasel[b.text, default: []].append(i) }
                for h in Set(subheadings).sorted() { byHS.append((UInt64(h), i)) }
                if !item.excludes.isEmpty {
                    exclusions[i] = item.excludes.map { ByteTokenizer.tokens(Array($0.utf8)).map(\.hash) }
                }
            }
            var linksByHS: [(UInt64, Int32)] = []
            for (i, link) in reference.hsLinks.enumerated() {
                if let h = UInt64(link.hs.subheading) { linksByHS.append((h, Int32(i))) }
            }
            requirementGroups = groupKeys.map { regime, list in
                reference.requirements.filter {
                    $0.regime == regime && ($0.listing == "*" || Requirement.listing($0.listing, matches: list))
                }
            }
            var extensions: [String: [Int32]] = [:]
            for (key, items) in byASHRAE where key.last?.isLetter == true && key.count > 1 {
                var base = key
                while base.last?.isLetter == true { base.removeLast() }
                if byASHRAE[base] == nil, base.count > 1 { extensions[base, default: []] += items }
            }
            ashraeExtensions = extensions.compactMapValues { $0.count == 1 ? $0[0] : nil }
            var countries: [String: Int] = [:]
            for (i, country) in reference.countries.enumerated() { countries[country.code.text] = i }
            self.facts = facts
            self.byCAS = byCAS
            self.byASHRAE = byASHRAE
            self.byLMO = byLMO
            self.byBasel = byBasel
            self.byHS = HashPostings(byHS)
            self.linksByHS = HashPostings(linksByHS)
            self.countries = countries
            self.exclusions = exclusions
            self.positions = positions
            let groupTable = requirementGroups
            var listIndex: [[Int32]: Int32] = [:]
            var bySlot: [[[Requirement]]] = []
            var itemRequirements: [Int32] = []
            itemRequirements.reserveCapacity(facts.count)
            for f in facts {
                if let k = listIndex[f.requirementGroups] {
                    itemRequirements.append(k)
                    continue
                }
                let k = Int32(bySlot.count)
                listIndex[f.requirementGroups] = k
                itemRequirements.append(k)
                bySlot.append(
                    (0...Direction.allCases.count).map { slot in
                        let direction = slot < Direction.allCases.count ? Direction.allCases[slot] : nil
                        var out: [Requirement] = []
                        for g in f.requirementGroups {
                            for r in groupTable[Int(g)]
                            where direction == nil || r.direction == .any || r.direction == direction {
                                if !out.contains(r) { out.append(r) }
                            }
                        }
                        return out
                    })
            }
            self.requirementsBySlot = bySlot
            self.itemRequirements = itemRequirements
            var componentTexts: [Int64: String] = [:]
            var controlledComponents = [[Int32]](repeating: [], count: reference.items.count)
            for (b, blend) in reference.items.enumerated() where !blend.composition.isEmpty {
                for component in blend.composition {
                    guard let id = component.itemID, let c = positions[id] else { continue }
                    if facts[Int(c)].controlled { controlledComponents[b].append(c) }
                    let key = Self.componentKey(blend: Int32(b), component: c)
                    if componentTexts[key] == nil {
                        componentTexts[key] =
                            "component of \(blend.names.preferred) (\(formatNumber(component.massPercent)) % by mass)"
                    }
                }
            }
            self.componentTexts = componentTexts
            self.controlledComponents = controlledComponents
        }
    }

    public var referenceVersion: String { reference.version }

    /// Buffers reused from line to line by one thread.
    public struct Scratch {
        var description: [ByteTokenizer.Token] = []
        var species: [ByteTokenizer.Token] = []
        var descriptionMasks: [UInt32] = []
        var speciesMasks: [UInt32] = []
        var cache = TokenFactCache()
        var covered: [Bool] = []
        var matches: [PhraseIndex.Match] = []
        var hits: [ScientificNameIndex.Hit] = []
        /// Nil for a one-off line, where filling a memo would cost more than it saves.
        var memo: EvidenceMemo?
        /// What the memo held for each record of the batch being screened.
        var found: [LineScreening.Remembered?] = []
        var quiet: [Bool] = []
        public init() { memo = EvidenceMemo() }
        /// Scratch space without the evidence memo (`remembering: false`), for a few lines at a time: a request of
        /// the web API, where allocating the memo would cost more than it saves.
        public init(remembering: Bool) { memo = remembering ? EvidenceMemo() : nil }
        /// A memo of `memoSlots` slots and `memoBudget` bytes (tests: small, so that lines overwrite one another).
        init(memoSlots: Int, memoBudget: Int = EvidenceMemo.defaultBudget) {
            memo = EvidenceMemo(slots: memoSlots, budget: memoBudget)
        }
    }

    /// Runs `body` with scratch space (without the evidence memo) that earlier calls put back, for callers that screen
    /// a few lines at a time, such as web requests: a new `Scratch` zeroes about 200 KB of caches, more than screening
    /// a line costs, and starts with none of the words of earlier lines known. Safe from any number of threads.
    public func withSpareScratch<T>(_ body: (inout Scratch) throws -> T) rethrows -> T {
        var scratch = spares.take() ?? Scratch(remembering: false)
        defer { spares.put(scratch) }
        return try body(&scratch)
    }

    /// The facts of one word (see `TokenFacts`), from every table.
    func facts(of token: ByteTokenizer.Token, in text: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var f = UInt32(context.classes[token.hash])
        if phrases.singleWord.contains(token.hash) { f |= TokenFacts.singleName }
        if phrases.firstWords.contains(token.hash) { f |= TokenFacts.firstOfName }
        guard !token.isNumber else { return f }
        let names = scientificNames
        if names.byGenus.contains(token.exactHash) { f |= TokenFacts.genus }
        if names.byEpithet.contains(token.exactHash) { f |= TokenFacts.epithet }
        if names.coveringTaxa.contains(token.exactHash) { f |= TokenFacts.coveredGenus }
        if names.genusMinusLast.contains(token.exactHash) { f |= TokenFacts.genusMinusLast }
        if names.byGenus.contains(token.exactHashButLast) { f |= TokenFacts.genusPlusOne }
        if token.end - token.start >= 8, names.startsWithGenus(text, token) { f |= TokenFacts.startsWithGenus }
        return f
    }

    /// Classifies the words of a field into `facts`; returns the union of their context classes.
    @inline(__always)
    func classify(
        _ tokens: [ByteTokenizer.Token], text: UnsafeBufferPointer<UInt8>, into facts: inout [UInt32],
        cache: inout TokenFactCache
    ) -> ContextRules.Cue {
        facts.removeAll(keepingCapacity: true)
        var all: UInt32 = 0
        for t in tokens {
            let f = cache.facts(t.exactHash) { self.facts(of: t, in: text) }
            facts.append(f)
            all |= f
        }
        return ContextRules.Cue(rawValue: UInt8(all & TokenFacts.cueMask))
    }

    /// Screens one line.
    public func screen(_ record: DeclarationRecord) -> ScreeningResult {
        var scratch = Scratch(remembering: false)
        return screen(record, scratch: &scratch)
    }

    /// Screens one line, reusing `scratch` (one per thread).
    public func screen(_ record: DeclarationRecord, scratch: inout Scratch) -> ScreeningResult {
        var line = gather(record, scratch: &scratch)
        return line.result()
    }

    /// Gathers what the line's evidence fields give (from the thread's memo when they were seen before), for the
    /// rules and the result.
    func gather(
        _ record: DeclarationRecord, known: LineScreening.Remembered? = nil, scratch: inout Scratch
    ) -> LineScreening {
        var line = LineScreening(engine: self, record: record)
        if let known = known ?? scratch.memo?.lookUp(record) {
            line.restore(known)
        } else {
            record.bytes.withUnsafeBufferPointer { bytes in
                line.run(bytes, scratch: &scratch)
            }
            line.remembered = LineScreening.Remembered(line.gathered)
            scratch.memo?.store(line.remembered, record)
        }
        return line
    }

    /// Writes the JSON Lines result of a line that `gather` found nothing on (`LineScreening.isQuiet`): the same
    /// bytes as `ResultWriter.jsonLine` of its result, without building it.
    func writeQuiet(_ record: DeclarationRecord, into out: inout [UInt8]) {
        ResultWriter.append(#"{"line_id":"#, &out)
        record.bytes.withUnsafeBufferPointer { bytes in
            let id = record.slice(.lineID)
            ResultWriter.string(UnsafeBufferPointer(rebasing: bytes[id.startIndex..<id.endIndex]), into: &out)
        }
        out += quietTail
    }
}

/// The spare scratch space of one engine (its cached word facts belong to that engine's reference set): at most a
/// few dozen, one per thread that screens at a time.
final class SpareScratch: @unchecked Sendable {
    private let lock = NSLock()
    private var spares: [ScreeningEngine.Scratch] = []
    static let keep = 32

    func take() -> ScreeningEngine.Scratch? { lock.withLock { spares.popLast() } }

    func put(_ scratch: ScreeningEngine.Scratch) {
        lock.withLock { if spares.count < Self.keep { spares.append(scratch) } }
    }
}
