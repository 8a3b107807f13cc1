import GreenCustomsCore

/// The work on one line: gather candidate items from every field, weigh them against their context, apply the
/// shipment rules, score. Candidates carry byte ranges into the line, so strings are built only for findings.
struct LineScreening {
    /// Unowned: every line is screened inside a call on its engine, and the threads that screen together would
    /// otherwise contend for the engine's reference count on every line.
    unowned(unsafe) let engine: ScreeningEngine
    let record: DeclarationRecord

    struct Candidate {
        /// An item position, or for an HS link without an item, `-1 - link index`.
        var key: Int32
        var certainty: Certainty
        var basis: Basis
        var match: MatchKind
        var start: Int
        var end: Int
        var explanation: String?
        /// The blend a component was found through.
        var via: Int32 = -1
        /// The HS link that explains a finding from the HS code (its text is built only for findings).
        var link: Int32 = -1
        var corroboratedBy: [Basis] = []
    }

    var candidates: [Candidate] = []
    var flags: [Flag] = []
    var subheading: Int32 = -1
    var direction: Direction?
    var validCAS: CASNumber?
    /// Whether the line's words are mainly chemical or wildlife (from cues and the HS chapter).
    var chemicalContext = false
    /// Words of wildlife trade on the line (live, skins, carvings, timber…).
    var citesCue = false
    /// An HS code in a chapter where listed animals and plants are classified.
    var wildlifeHS = false
    var wasteContext = false
    var notWaste = false
    /// Possible findings from names that many items share ("aloe" names dozens of species): at most three.
    var sharedKept = 0
    /// The word classes of the description.
    var cues = ContextRules.Cue()
    /// What this line's evidence gave, shared with later lines that have the same evidence (set by `gather`).
    var remembered: Remembered!
    /// The line's direction's place in `Remembered.byDirection` (set by `result`).
    var directionSlot = 0

    init(engine: ScreeningEngine, record: DeclarationRecord) {
        self.engine = engine
        self.record = record
    }

    var facts: [ScreeningEngine.ItemFacts] { engine.tables.facts }

    /// What `run` leaves for the rules, with candidate offsets relative to the field of their basis, so that it
    /// holds for any line with the same evidence fields (see `EvidenceMemo`).
    struct Gathered {
        var candidates: [Candidate]
        var flags: [Flag]
        var subheading: Int32
        var validCAS: CASNumber?
        var chemicalContext: Bool
        var citesCue: Bool
        var wildlifeHS: Bool
        var wasteContext: Bool
        var notWaste: Bool
        var cues: ContextRules.Cue
    }

    /// Where each basis's field starts in this record's bytes.
    func fieldStart(_ basis: Basis) -> Int {
        switch basis {
        case .hsCode: record.slice(.hsCode).startIndex
        case .description: record.slice(.description).startIndex
        case .casNumber: record.slice(.casNumber).startIndex
        case .species: record.slice(.species).startIndex
        }
    }

    /// Candidates with their offsets moved from this record to their fields (`toFields`), or back.
    func moved(_ list: [Candidate], toFields: Bool) -> [Candidate] {
        if list.isEmpty { return list }
        var list = list
        let sign = toFields ? -1 : 1
        let starts = (
            fieldStart(.casNumber) * sign, fieldStart(.hsCode) * sign, fieldStart(.species) * sign,
            fieldStart(.description) * sign
        )
        for k in list.indices {
            let shift: Int
            switch list[k].basis {
            case .casNumber: shift = starts.0
            case .hsCode: shift = starts.1
            case .species: shift = starts.2
            case .description: shift = starts.3
            }
            list[k].start += shift
            list[k].end += shift
        }
        return list
    }

    /// The state `run` left, made independent of where the fields lie in this record.
    var gathered: Gathered {
        Gathered(
            candidates: moved(candidates, toFields: true), flags: flags, subheading: subheading, validCAS: validCAS,
            chemicalContext: chemicalContext, citesCue: citesCue, wildlifeHS: wildlifeHS, wasteContext: wasteContext,
            notWaste: notWaste, cues: cues)
    }

    /// Takes up what `run` gave for another line with the same evidence fields.
    mutating func restore(_ known: Remembered) {
        remembered = known
        let g = known.gathered
        candidates = moved(g.candidates, toFields: false)
        flags = g.flags
        subheading = g.subheading
        validCAS = g.validCAS
        chemicalContext = g.chemicalContext
        citesCue = g.citesCue
        wildlifeHS = g.wildlifeHS
        wasteContext = g.wasteContext
        notWaste = g.notWaste
        cues = g.cues
    }

    // MARK: Gathering

    mutating func run(_ bytes: UnsafeBufferPointer<UInt8>, scratch: inout ScreeningEngine.Scratch) {
        readHS(bytes)
        readCAS()
        let description = record.slice(.description)
        let species = record.slice(.species)
        scratch.description.removeAll(keepingCapacity: true)
        scratch.species.removeAll(keepingCapacity: true)
        if !description.isEmpty {
            ByteTokenizer.tokenize(
                UnsafeBufferPointer(rebasing: bytes[description.startIndex..<description.endIndex]),
                into: &scratch.description)
        }
        if !species.isEmpty {
            ByteTokenizer.tokenize(
                UnsafeBufferPointer(rebasing: bytes[species.startIndex..<species.endIndex]), into: &scratch.species)
        }
        if !description.isEmpty {
            cues = engine.classify(
                scratch.description,
                text: UnsafeBufferPointer(rebasing: bytes[description.startIndex..<description.endIndex]),
                into: &scratch.descriptionMasks, cache: &scratch.cache)
        }
        if !species.isEmpty {
            _ = engine.classify(
                scratch.species, text: UnsafeBufferPointer(rebasing: bytes[species.startIndex..<species.endIndex]),
                into: &scratch.speciesMasks, cache: &scratch.cache)
        }
        let chapter = subheading >= 0 ? Int(subheading / 10_000) : -1
        let chapters = engine.chapterClasses
        let chapterClass = chapter >= 0 && chapter < chapters.count ? chapters[chapter] : 0
        chemicalContext = chapterClass & ScreeningEngine.chemicalChapter != 0 || cues.contains(.chemical)
        wildlifeHS = chapterClass & ScreeningEngine.wildlifeChapter != 0
        citesCue = cues.contains(.cites)
        wasteContext =
            (subheading >= 0 && engine.wasteHeadings.contains(UInt64(subheading / 100))) || cues.contains(.waste)
        notWaste = cues.contains(.notWaste)

        if !description.isEmpty {
            gather(
                bytes, field: description, tokens: scratch.description, masks: scratch.descriptionMasks,
                basis: .description, scratch: &scratch)
        }
        if !species.isEmpty {
            gather(
                bytes, field: species, tokens: scratch.species, masks: scratch.speciesMasks, basis: .species,
                scratch: &scratch)
        }
        if subheading >= 0 { gatherHS() }
        if candidates.isEmpty { return }
        applyExclusions(scratch)
        addComponents()
    }

    static let chemicalChapters: Set<Int> = [27, 28, 29, 38, 84]
    static let wildlifeChapters: Set<Int> = [
        1, 2, 3, 5, 6, 12, 13, 14, 15, 16, 30, 33, 41, 42, 43, 44, 46, 67, 71, 92, 94, 96, 97,
    ]
    /// HS headings of wastes and scrap (ash, slag, plastic, paper, textile, glass and metal waste, e-waste).
    static let wasteHeadings: Set<Int> = [
        2618, 2619, 2620, 2621, 3825, 3915, 4004, 4707, 5003, 5103, 5202, 5505, 6309, 6310, 7001, 7112, 7204, 7404,
        7503, 7602, 7802, 7902, 8002, 8548, 8549,
    ]

    mutating func readHS(_ bytes: UnsafeBufferPointer<UInt8>) {
        let field = record.slice(.hsCode)
        guard !field.isEmpty else { return }
        var digits = 0
        var value: Int32 = 0
        for b in field {
            if b >= 0x30 && b <= 0x39 {
                if digits < 6 { value = value * 10 + Int32(b - 0x30) }
                digits += 1
            } else if b != 0x2E && b != 0x20 && b != 0x2D {
                return
            }
        }
        if digits >= 6 && digits <= 12 { subheading = value }
    }

    mutating func readCAS() {
        let field = record.slice(.casNumber)
        guard !field.isEmpty else { return }
        let text = String(decoding: field, as: UTF8.self)
        do {
            let cas = try CASNumber(validating: text)
            validCAS = cas
            for i in engine.tables.byCAS[cas.text] ?? [] where facts[Int(i)].controlled {
                candidates.append(
                    Candidate(
                        key: i, certainty: .certain, basis: .casNumber, match: .casNumber, start: field.startIndex,
                        end: field.endIndex))
            }
        } catch {
            add(
                .invalidCAS,
                "cas_number \"\(text)\": \(error.description); check the number on the label and the documents")
        }
    }

    /// The line's direction, or nil when absent or unknown (read only for lines with findings).
    static func direction(_ field: ArraySlice<UInt8>) -> Direction? {
        guard !field.isEmpty, field.count <= 9 else { return nil }
        var word: UInt64 = 0
        for b in field { word = word << 8 | UInt64(b >= 0x41 && b <= 0x5A ? b + 32 : b) }
        func code(_ s: StaticString) -> UInt64 {
            var w: UInt64 = 0
            for k in 0..<s.utf8CodeUnitCount { w = w << 8 | UInt64(s.utf8Start[k]) }
            return w
        }
        // Nine bytes overflow 64 bits: compare "re-export" and "re_export" by their last eight.
        switch word {
        case code("import"), code("im"): return .import
        case code("export"), code("ex"): return .export
        case code("transit"): return .transit
        case code("reexport"): return .reExport
        case code("e-export"), code("e_export"):
            return field.count == 9 && (field.first! | 0x20) == 0x72 ? .reExport : nil
        default: return nil
        }
    }

    /// Identifiers, names and misspelt scientific names in one free-text field.
    mutating func gather(
        _ bytes: UnsafeBufferPointer<UInt8>, field: ArraySlice<UInt8>, tokens: [ByteTokenizer.Token], masks: [UInt32],
        basis: Basis, scratch: inout ScreeningEngine.Scratch
    ) {
        let base = field.startIndex
        if field.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) { gatherIdentifiers(field, basis: basis) }
        scratch.matches.removeAll(keepingCapacity: true)
        engine.phrases.forEachMatch(in: tokens, facts: masks) { scratch.matches.append($0) }
        let matches = PhraseIndex.longest(scratch.matches)
        for m in matches {
            weigh(m, tokens: tokens, masks: masks, base: base, basis: basis)
        }
        // Tokens inside a name of two or more words are settled; the rest may hold a misspelt binomial.
        scratch.covered.removeAll(keepingCapacity: true)
        scratch.covered.append(contentsOf: repeatElement(false, count: tokens.count))
        for m in matches where m.tokenCount > 1 {
            for k in m.firstToken..<(m.firstToken + m.tokenCount) { scratch.covered[k] = true }
        }
        let covered = scratch.covered
        scratch.hits.removeAll(keepingCapacity: true)
        let text = UnsafeBufferPointer(rebasing: bytes[field.startIndex..<field.endIndex])
        engine.scientificNames.scan(
            text, tokens: tokens, facts: masks, covered: { covered[$0] }, into: &scratch.hits)
        for hit in scratch.hits {
            weigh(hit, tokens: tokens, masks: masks, text: text, base: base, basis: basis, matches: matches)
        }
    }

    mutating func gatherIdentifiers(_ field: ArraySlice<UInt8>, basis: Basis) {
        let base = field.startIndex
        for found in IdentifierScanner.scan(field) {
            let start = base + found.start
            let end = base + found.end
            switch found.kind {
            case .cas(let text, let valid):
                if !valid {
                    add(.invalidCAS, "\(basis.rawValue) mentions CAS \(text), whose check digit is wrong")
                    continue
                }
                for i in engine.tables.byCAS[text] ?? [] where facts[Int(i)].controlled {
                    add(i, .certain, basis, .casNumber, start, end)
                }
            case .ashrae(let key):
                if let items = engine.tables.byASHRAE[key] {
                    for i in items where facts[Int(i)].controlled {
                        add(i, .certain, basis, .ashraeDesignation, start, end)
                    }
                } else if let i = engine.tables.ashraeExtensions[key], facts[Int(i)].controlled {
                    // "R-509" for R-509A: the only designation that extends it.
                    let full = engine.reference.items[Int(i)].identifiers.ashrae?.text ?? ""
                    add(
                        i, .likely, basis, .ashraeDesignation, start, end,
                        explanation: "read as \(full), the only designation that extends it")
                }
            case .lmo(let key):
                for i in engine.tables.byLMO[key] ?? [] where facts[Int(i)].controlled {
                    add(i, .certain, basis, .lmoIdentifier, start, end)
                }
            }
        }
        // Basel codes ("A1180", "Y46") count where the line speaks of waste.
        guard wasteContext && !notWaste else { return }
        var i = field.startIndex
        while i < field.endIndex {
            let b = field[i] & ~0x20
            let atWordStart = i == field.startIndex || !Self.isAlnum(field[i - 1])
            if atWordStart, b == 0x41 || b == 0x42 || b == 0x59 {
                var j = i + 1
                while j < field.endIndex, field[j] >= 0x30 && field[j] <= 0x39 { j += 1 }
                if j - i >= 2, j - i <= 5, j == field.endIndex || !Self.isAlnum(field[j]),
                    let code = BaselCode(String(decoding: field[i..<j], as: UTF8.self).uppercased())
                {
                    for item in engine.tables.byBasel[code.text] ?? [] where facts[Int(item)].controlled {
                        add(item, .certain, basis, .baselCode, i, j)
                    }
                }
                i = j
                continue
            }
            i += 1
        }
    }

    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
    }

    mutating func add(
        _ item: Int32, _ certainty: Certainty, _ basis: Basis, _ match: MatchKind, _ start: Int, _ end: Int,
        explanation: String? = nil
    ) {
        candidates.append(
            Candidate(
                key: item, certainty: certainty, basis: basis, match: match, start: start, end: end,
                explanation: explanation))
    }

    /// Decides what a name found in the text is worth, given the words around it.
    mutating func weigh(
        _ m: PhraseIndex.Match, tokens: [ByteTokenizer.Token], masks: [UInt32], base: Int, basis: Basis
    ) {
        let item = Int32(m.item)
        let f = facts[m.item]
        guard f.controlled else { return }
        let last = m.firstToken + m.tokenCount - 1
        if contextClears(tokens, masks, m.firstToken, last) { return }
        let fieldCues = ContextRules.Cue(rawValue: UInt8(masks.reduce(0, |) & TokenFacts.cueMask))
        let phrase = engine.phrases.phrases[m.phrase]
        let single = m.tokenCount == 1
        let scientific = m.kind == .name || m.kind == .synonym
        let certainty: Certainty
        switch f.regime {
        case .basel:
            // The Basel Convention covers wastes: the line must say waste, and not "new". A lone constituent
            // ("lead", "cadmium") or an Annex IX (list B) entry is only worth a look.
            guard wasteContext && !notWaste else { return }
            let listings = engine.reference.items[m.item].listings
            if listings.contains(where: { $0.list == "Annex III" }) { return }
            certainty = single || listings.contains { $0.list == "Annex IX" } ? .possible : .likely
        case .cites where f.isTaxon:
            if !scientific || single, fieldCues.contains(.imitation) { return }
            let otherGoods = subheading >= 0 && !wildlifeHS
            if scientific {
                certainty = single ? (otherGoods ? .possible : .likely) : .certain
            } else if basis == .species {
                certainty = .likely
            } else if phrase.sharedBy > 3 {
                // "sharks", "rays", "coral", "aloe": a group of which only some species are listed. (A name of up to
                // three listed taxa, such as "rosewood", is weighed like any other.)
                guard sharedKept < 3 else { return }
                sharedKept += 1
                certainty = .possible
            } else if single {
                // A lone word ("tiger", "tunas", "Jaguar") needs a specimen word beside it ("tiger skins").
                if ContextRules.near(masks, first: m.firstToken, last: last, .specimen) && !otherGoods {
                    certainty = .likely
                } else if m.kind == .tradeTerm && wildlifeHS {
                    certainty = .likely
                } else if wildlifeHS || citesCue {
                    certainty = .possible
                } else {
                    return
                }
            } else {
                certainty = otherGoods && !citesCue ? .possible : .likely
            }
        case .stockholm where engine.reference.items[m.item].listings.allSatisfy { $0.list == "Annex C" }:
            // Unintentional by-products (dioxins, furans) are not traded as such.
            certainty = .possible
        case .cartagena:
            // The crop's species name ("Zea mays") is not an LMO; the event, its identifier and trade names are.
            if m.kind == .synonym, Self.isBinomial(engine.phrases.texts[m.phrase]) { return }
            // "GM maize" names every maize event: worth a look, not a finding on each.
            certainty = phrase.sharedBy >= 3 ? .possible : .likely
        default:
            guard f.isChemical else {
                certainty = .likely
                break
            }
            let length = m.end - m.start
            // An acronym (a short name with two capitals: "TEA", "DDT", "MeBr", "VX") counts only written with a
            // capital (not "tea") and among chemical words or with a digit ("FX55"). "Sarin" is a name, not one.
            let acronym =
                single && length <= 5 && m.kind != .tradeName
                && engine.phrases.texts[m.phrase].utf8.filter({ $0 >= 0x41 && $0 <= 0x5A }).count >= 2
            if acronym {
                let written = record.bytes[(base + m.start)..<(base + m.end)]
                let capital = written.contains { $0 >= 0x41 && $0 <= 0x5A }
                let digit = written.contains { $0 >= 0x30 && $0 <= 0x39 }
                guard capital, chemicalContext || digit else { return }
            }
            switch m.kind {
            case _ where phrase.sharedBy >= 3:
                // "asbestos" names five listed forms and one that is not: worth a look.
                certainty = .possible
            case .name where !acronym:
                certainty = .certain
            case .synonym where !(single && length < 9):
                // Systematic names ("chlorodifluoromethane") are unambiguous.
                certainty = .certain
            case .tradeTerm:
                certainty = .possible
            default:
                // Acronyms ("DDT", "PCB") and short trade names ("Counter", "Monitor") need chemical words around;
                // codes with digits ("D136", "FX55") do not.
                let hasDigit = record.bytes[(base + m.start)..<(base + m.end)].contains { $0 >= 0x30 && $0 <= 0x39 }
                if single && !chemicalContext && !hasDigit { return }
                certainty = .likely
            }
        }
        add(item, certainty, basis, m.kind, base + m.start, base + m.end)
    }

    /// Whether the words around `first…last` make it ordinary goods ("crocodile clips") or deny it ("other than").
    func contextClears(_ tokens: [ByteTokenizer.Token], _ masks: [UInt32], _ first: Int, _ last: Int) -> Bool {
        if Self.mayBeOrdinary(masks, first, last), engine.context.isOrdinaryUse(tokens, first: first, last: last) {
            return true
        }
        return engine.context.isNegated(tokens, first: first, last: last)
    }

    @inline(__always)
    static func mayBeOrdinary(_ masks: [UInt32], _ first: Int, _ last: Int) -> Bool {
        for k in first...last where masks[k] & UInt32(ContextRules.Cue.ordinaryTrigger.rawValue) != 0 { return true }
        return false
    }

    /// "Zea mays": a capitalised word and a lower-case word.
    static func isBinomial(_ text: String) -> Bool {
        let words = text.split(separator: " ")
        guard words.count == 2, let a = words[0].first, let b = words[1].first else { return false }
        return a.isUppercase && b.isLowercase && words.allSatisfy { $0.allSatisfy(\.isLetter) }
    }

    /// Decides what a misspelt binomial or an unlisted species of a listed taxon is worth.
    mutating func weigh(
        _ hit: ScientificNameIndex.Hit, tokens: [ByteTokenizer.Token], masks: [UInt32],
        text: UnsafeBufferPointer<UInt8>,
        base: Int, basis: Basis, matches: [PhraseIndex.Match]
    ) {
        guard facts[hit.item].controlled else { return }
        let first = tokens.firstIndex { $0.start == hit.start } ?? 0
        let last = tokens.lastIndex { $0.end == hit.end } ?? first
        if contextClears(tokens, masks, first, last) { return }
        let name = engine.reference.items[hit.item].names.preferred
        let written = String(decoding: UnsafeBufferPointer(rebasing: text[hit.start..<hit.end]), as: UTF8.self)
        if hit.inherited {
            // The genus of an unlisted species: only where the second word reads like a Latin epithet.
            let epithet = tokens[last]
            guard Self.looksLikeEpithet(text, epithet.start, epithet.end) else { return }
            // Already found by the genus or family name itself.
            if matches.contains(where: { $0.item == hit.item }) { return }
            add(
                Int32(hit.item), .likely, basis, .higherTaxon, base + hit.start, base + hit.end,
                explanation:
                    "\(written) is not listed by name; its "
                    + "\(engine.reference.items[hit.item].taxonomy?.rank.rawValue.lowercased() ?? "taxon") "
                    + "\(name) is listed (\(engine.listingSummaries[hit.item]))")
        } else {
            add(
                Int32(hit.item), .likely, basis, .typo, base + hit.start, base + hit.end,
                explanation:
                    "\"\(written)\" read as \(name) (\(hit.distance) edit\(hit.distance == 1 ? "" : "s"))"
            )
        }
    }

    static let notEpithets: Set<String> = [
        "and", "the", "for", "with", "other", "others", "not", "neither", "nor", "whether", "including", "excluding",
        "nes", "live", "fresh", "frozen", "dried", "whole", "parts", "products", "crushed", "ground", "seeds",
        "plants", "wood", "extract", "extracts", "powder", "oil", "leaves", "species", "spp", "var", "subsp",
    ]

    /// Letters only, at least four, and not a common English word of customs descriptions.
    static func looksLikeEpithet(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard end - start >= 4 else { return false }
        for k in start..<end where !ScientificNameIndex.isLetter(text[k]) { return false }
        let word = String(decoding: UnsafeBufferPointer(rebasing: text[start..<end]), as: UTF8.self).lowercased()
        return !notEpithets.contains(word)
    }

    /// What the HS code says by itself: a subheading that names a listed item, or that covers listed goods.
    mutating func gatherHS() {
        let field = record.slice(.hsCode)
        let start = field.startIndex
        let end = field.endIndex
        var named = Set<Int32>()
        let links = engine.tables.linksByHS.range(UInt64(subheading))
        let items = engine.tables.byHS.range(UInt64(subheading))
        if links.isEmpty && items.isEmpty { return }
        for l in engine.tables.linksByHS[UInt64(subheading)] {
            let link = engine.reference.hsLinks[Int(l)]
            switch link.coverage {
            case .names, .covers, .possible:
                var resolved = false
                if link.coverage == .names {
                    for id in link.itemIDs {
                        // An item the code names settles it, controlled or not (Basel list B wastes are not).
                        guard let i = engine.tables.positions[id] else { continue }
                        resolved = true
                        guard facts[Int(i)].controlled, named.insert(i).inserted else { continue }
                        candidates.append(
                            Candidate(
                                key: i, certainty: .likely, basis: .hsCode, match: .hsCode, start: start, end: end,
                                link: l))
                    }
                }
                if resolved { continue }
                // The code alone (no item named, or only a heading that covers listed goods): one finding for the
                // code, unless the line already found an item of the same regime.
                if link.regimes.contains(where: { r in
                    candidates.contains { $0.key >= 0 && facts[Int($0.key)].regime == r }
                }) {
                    continue
                }
                candidates.append(
                    Candidate(
                        key: -1 - l, certainty: link.coverage == .names ? .likely : .possible, basis: .hsCode,
                        match: .hsHeading, start: start, end: end, link: l))
            }
        }
        // Items that carry this subheading as their own code: they agree with what the description found.
        for i in engine.tables.byHS[UInt64(subheading)] where facts[Int(i)].controlled {
            for k in candidates.indices where candidates[k].key == i && candidates[k].basis != .hsCode {
                if !candidates[k].corroboratedBy.contains(.hsCode) { candidates[k].corroboratedBy.append(.hsCode) }
                if candidates[k].certainty == .likely { candidates[k].certainty = .certain }
            }
        }
    }

    /// A listed taxon that expressly excludes what the line names (e.g. a genus listing that excludes one species).
    /// The text an exclusion names is settled for every item: "Aloe vera gel" is neither the genus Aloe nor any
    /// species whose common name is "aloe".
    mutating func applyExclusions(_ scratch: ScreeningEngine.Scratch) {
        var excludedSpans: [Range<Int>] = []
        let fields = [
            (scratch.description, record.slice(.description).startIndex),
            (scratch.species, record.slice(.species).startIndex),
        ]
        for c in candidates where c.key >= 0 {
            guard let excluded = engine.tables.exclusions[c.key] else { continue }
            for (n, name) in excluded.enumerated() {
                for (tokens, base) in fields {
                    guard let span = Self.find(tokens, name) else { continue }
                    excludedSpans.append((base + span.lowerBound)..<(base + span.upperBound))
                    let item = engine.reference.items[Int(c.key)]
                    add(.excluded, "\(item.excludes[n]) is excluded from the listing of \(item.names.preferred)")
                }
            }
        }
        if excludedSpans.isEmpty { return }
        candidates.removeAll { c in
            if c.key >= 0, let excluded = engine.tables.exclusions[c.key],
                excluded.contains(where: { Self.find(fields[0].0, $0) != nil || Self.find(fields[1].0, $0) != nil })
            {
                return true
            }
            return c.basis != .hsCode && c.basis != .casNumber
                && excludedSpans.contains { $0.lowerBound < c.end && c.start < $0.upperBound }
        }
    }

    /// The byte range (in the field) of the first occurrence of `phrase` among `tokens`.
    static func find(_ tokens: [ByteTokenizer.Token], _ phrase: [UInt64]) -> Range<Int>? {
        guard !phrase.isEmpty, tokens.count >= phrase.count else { return nil }
        outer: for i in 0...(tokens.count - phrase.count) {
            for k in phrase.indices where tokens[i + k].hash != phrase[k] { continue outer }
            return tokens[i].start..<tokens[i + phrase.count - 1].end
        }
        return nil
    }

    /// A blend found on the line brings its controlled components (R-502: HCFC-22 and CFC-115).
    mutating func addComponents() {
        let current = candidates
        for c in current where c.key >= 0 && c.via < 0 {
            for i in engine.tables.controlledComponents[Int(c.key)] {
                var derived = c
                derived.key = i
                derived.via = c.key
                derived.corroboratedBy = []
                // Written by `explanation(_:)` for the components that become findings (most are merged away).
                derived.explanation = nil
                candidates.append(derived)
            }
        }
    }
}
