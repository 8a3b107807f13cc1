import GreenCustomsCore

extension LineScreening {
    /// Merges the candidates into findings (one per item, the strongest evidence first), applies the shipment rules
    /// and scores the line.
    /// Whether the line has nothing on it: no candidate and no flag make it green with a score of 0.
    var isQuiet: Bool { candidates.isEmpty && flags.isEmpty }

    mutating func result() -> ScreeningResult {
        let lineID = record.string(.lineID)
        if isQuiet {
            return ScreeningResult(
                lineID: lineID, lineNumber: record.lineNumber, lane: .green, riskScore: 0, findings: [], flags: [],
                referenceVersion: engine.reference.version)
        }
        direction = Self.direction(record.slice(.direction))
        let basis = ruleBasis()
        let slot = Self.slot(direction)
        directionSlot = slot
        let forDirection: (findings: [Finding], documents: [String])
        if let known = remembered.byDirection[slot] {
            forDirection = known
        } else {
            forDirection = (moved(basis.merged, toFields: false).map(finding), requiredDocuments(basis.acted))
            remembered.byDirection[slot] = forDirection
        }
        applyRules(basis, documents: forDirection.documents)
        let (score, lane) = Self.score(forDirection.findings, flags)
        return ScreeningResult(
            lineID: lineID, lineNumber: record.lineNumber, lane: lane, riskScore: score,
            findings: forDirection.findings,
            flags: flags, referenceVersion: engine.reference.version)
    }

    /// What one set of evidence fields gave (`Gathered`), with what the rules and the result derive from it alone,
    /// each worked out the first time a line needs it. Lines with the same evidence share one (see `EvidenceMemo`).
    final class Remembered {
        let gathered: Gathered
        var rules: RuleBasis?
        /// The findings and the documents to reference, by direction (the last slot for a line without one).
        var byDirection: [(findings: [Finding], documents: [String])?] = Array(
            repeating: nil, count: Direction.allCases.count + 1)

        /// The findings of `byDirection` as JSON (`ResultWriter.findings`), once written.
        var findingsJSON: [[UInt8]?] = Array(repeating: nil, count: Direction.allCases.count + 1)
        /// Whether lines with this evidence have nothing on them (no candidate, no flag).
        let isQuiet: Bool

        /// What evidence with nothing on it gives (shared by the memo's quiet slots).
        enum Nothing { case quiet }

        convenience init(_ nothing: Nothing) {
            self.init(
                Gathered(
                    candidates: [], flags: [], subheading: -1, validCAS: nil, chemicalContext: false, citesCue: false,
                    wildlifeHS: false, wasteContext: false, notWaste: false, cues: ContextRules.Cue()))
        }

        init(_ gathered: Gathered) {
            self.gathered = gathered
            isQuiet = gathered.candidates.isEmpty && gathered.flags.isEmpty
        }
    }

    /// The JSON of `findings`, this line's (from `result`), shared by every line with the same evidence and
    /// direction.
    func findingsJSON(_ findings: [Finding]) -> [UInt8] {
        if let known = remembered.findingsJSON[directionSlot] { return known }
        var json: [UInt8] = []
        ResultWriter.findings(findings, into: &json)
        remembered.findingsJSON[directionSlot] = json
        return json
    }

    /// The merged candidates, the acted-on items and the code checks of this line's evidence.
    mutating func ruleBasis() -> RuleBasis {
        if let known = remembered.rules { return known }
        let merged = mergedCandidates()
        let actedOn = merged.filter { $0.certainty >= .likely && $0.key >= 0 }
        var codes = self
        codes.flags = []
        if !actedOn.isEmpty { codes.checkCodes(actedOn) }
        let basis = RuleBasis(
            merged: moved(merged, toFields: true), acted: actedOn.map(acted), codeFlags: codes.flags)
        remembered.rules = basis
        return basis
    }

    /// One candidate per item: the strongest; other fields that found it corroborate it, and two fields that agree
    /// make a likely finding certain.
    func mergedCandidates() -> [Candidate] {
        // A line has a handful of candidates: a linear search for the item beats hashing, and the corroborating
        // fields (four kinds) are kept as a bit set until the end.
        var merged: [Candidate] = []
        merged.reserveCapacity(candidates.count)
        var index: [Int32: Int] = [:]
        let hashed = candidates.count > 24
        for c in candidates {
            let found: Int?
            if hashed {
                found = index[c.key]
            } else {
                found = merged.firstIndex { $0.key == c.key }
            }
            guard let k = found else {
                if hashed { index[c.key] = merged.count }
                merged.append(c)
                continue
            }
            merged[k] = Self.merge(merged[k], c)
        }
        // Each candidate's sort key is worked out once, not at every comparison (`id` builds a string).
        if merged.count < 2 { return merged }
        let keys = merged.map { (certainty: $0.certainty, regime: regime($0), via: $0.via, id: id($0)) }
        return merged.indices.sorted { a, b in
            let (ka, kb) = (keys[a], keys[b])
            if ka.certainty != kb.certainty { return ka.certainty > kb.certainty }
            if ka.regime != kb.regime { return ka.regime < kb.regime }
            if ka.via != kb.via { return ka.via < kb.via }
            return ka.id < kb.id
        }.map { merged[$0] }
    }

    /// `existing` and a later candidate `c` for the same item as one: the stronger, corroborated by the other's
    /// fields (in the order of their names, the other's own field last when it is new).
    static func merge(_ existing: Candidate, _ c: Candidate) -> Candidate {
        let stronger = strength(c) > strength(existing)
        var kept = stronger ? c : existing
        let other = stronger ? existing : c
        var union: UInt8 = 0
        for b in existing.corroboratedBy { union |= b.bit }
        for b in c.corroboratedBy { union |= b.bit }
        kept.corroboratedBy.removeAll(keepingCapacity: true)
        for b in Basis.byName where union & b.bit != 0 { kept.corroboratedBy.append(b) }
        if other.basis != kept.basis, union & other.basis.bit == 0 {
            kept.corroboratedBy.append(other.basis)
            if kept.certainty == .likely && other.certainty >= .likely { kept.certainty = .certain }
        }
        kept.corroboratedBy.removeAll { $0 == kept.basis }
        return kept
    }

    /// The place of a line's direction in `Direction.allCases`, or the last slot for a line without one.
    static func slot(_ direction: Direction?) -> Int {
        switch direction {
        case .import: 0
        case .export: 1
        case .reExport: 2
        case .transit: 3
        case .any: 4
        case nil: 5
        }
    }

    static func strength(_ c: Candidate) -> (Int, Int, Int) {
        let basisRank: Int
        switch c.basis {
        case .casNumber: basisRank = 3
        case .species: basisRank = 2
        case .description: basisRank = 1
        case .hsCode: basisRank = 0
        }
        return (c.certainty.rank, c.via < 0 ? 1 : 0, basisRank)
    }

    func regime(_ c: Candidate) -> Regime {
        c.key >= 0 ? facts[Int(c.key)].regime : engine.reference.hsLinks[Int(-1 - c.key)].regimes.first ?? .cites
    }

    func id(_ c: Candidate) -> String {
        c.key >= 0
            ? engine.itemIDs[Int(c.key)] : "hs:" + engine.reference.hsLinks[Int(-1 - c.key)].hs.digits
    }

    func evidence(_ c: Candidate) -> String { String(decoding: record.bytes[c.start..<c.end], as: UTF8.self) }

    func explanation(_ c: Candidate) -> String? {
        if c.via >= 0 { return componentExplanation(c) }
        guard c.link >= 0 else { return c.explanation }
        let texts = engine.linkTexts[Int(c.link)]
        return c.key < 0 ? texts.withNote : texts.explanation
    }

    /// "component of R-410A (50 % by mass)", for a candidate found through a blend (`addComponents`).
    func componentExplanation(_ c: Candidate) -> String? {
        engine.tables.componentTexts[ScreeningEngine.Tables.componentKey(blend: c.via, component: c.key)]
    }

    func finding(_ c: Candidate) -> Finding {
        if c.key < 0 {
            let link = engine.reference.hsLinks[Int(-1 - c.key)]
            return Finding(
                regime: regime(c), certainty: c.certainty, basis: c.basis, itemID: id(c), item: link.description,
                listing: engine.linkTexts[Int(-1 - c.key)].listing, evidence: evidence(c),
                match: c.match, corroboratedBy: c.corroboratedBy, explanation: explanation(c),
                requirements: [])
        }
        let i = Int(c.key)
        return Finding(
            regime: facts[i].regime, certainty: c.certainty, basis: c.basis, itemID: engine.itemIDs[i],
            item: engine.preferredNames[i],
            listing: engine.listingSummaries[Int(c.key)], evidence: evidence(c), match: c.match,
            corroboratedBy: c.corroboratedBy,
            explanation: explanation(c), requirements: requirements(c.key).map(\.document))
    }

    /// The requirements of the item's listings for the line's direction (all directions when the line has none).
    func requirements(_ position: Int32) -> [Requirement] {
        let slot = Self.slot(direction)
        return engine.tables.requirementsBySlot[Int(engine.tables.itemRequirements[Int(position)])][slot]
    }

    /// Risk score 0–100 and lane: the strongest finding, more regimes, and every flag add up; red from 70, yellow
    /// from 15.
    static func score(_ findings: [Finding], _ flags: [Flag]) -> (Int, Lane) {
        var score = 0
        var strongest: Certainty?
        var regimes: [Regime] = []
        for k in findings.indices {
            let certainty = findings[k].certainty
            if strongest.map({ certainty > $0 }) ?? true { strongest = certainty }
            if certainty >= .likely, !regimes.contains(findings[k].regime) { regimes.append(findings[k].regime) }
        }
        if let strongest {
            switch strongest {
            case .certain: score = 60
            case .likely: score = 50
            case .possible: score = 15
            }
        }
        score += max(0, regimes.count - 1) * 5
        for k in flags.indices { score += flags[k].code.weight }
        score = min(score, 100)
        let lane: Lane = score >= 70 ? .red : score >= 15 ? .yellow : .green
        return (score, lane)
    }
}

extension Basis {
    /// The fields in the order of their names (how `corroborated_by` lists them).
    static let byName = allCases.sorted { $0.rawValue < $1.rawValue }
    /// The place in `allCases`.
    var index: Int {
        switch self {
        case .casNumber: 0
        case .hsCode: 1
        case .species: 2
        case .description: 3
        }
    }

    var bit: UInt8 { 1 << UInt8(index) }
}
