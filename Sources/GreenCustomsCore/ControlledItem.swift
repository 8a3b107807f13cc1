/// What kind of thing a reference record describes.
public enum ItemKind: String, Codable, Sendable, CaseIterable {
    /// A single chemical substance (Montreal, Rotterdam, Stockholm).
    case substance
    /// A refrigerant blend or other mixture with a stated composition.
    case mixture
    /// A taxon (species, genus, family, order…) listed under CITES.
    case taxon
    /// A Basel waste entry (Annex I, II, VIII, IX) or hazard characteristic (Annex III).
    case waste
    /// A living modified organism (transformation event) under the Cartagena Protocol.
    case lmo
    /// A chemical on a Chemical Weapons Convention schedule.
    case scheduledChemical = "scheduled-chemical"
    /// A family of chemicals defined by structure (CWC), or a group entry (e.g. "mercury compounds").
    case family
}

/// Where an item stands on a list: the annex, appendix or schedule, when it took effect, and its annotation.
public struct Listing: Hashable, Sendable, Codable {
    public var regime: Regime
    /// As the instrument names it: `Annex C, Group I`, `Appendix II`, `Schedule 2, Part B`, `Annex VIII`.
    public var list: String
    /// The entry within the list, where the instrument numbers its entries: `1A(13)`, `A1180`, `Y46`.
    public var entry: String?
    /// The date this listing entered into force.
    public var inForce: CalendarDate?
    /// Scope, exemptions, annotations (e.g. CITES #-annotations, Stockholm specific exemptions).
    public var annotation: String?

    public init(
        regime: Regime, list: String, entry: String? = nil, inForce: CalendarDate? = nil, annotation: String? = nil
    ) {
        self.regime = regime
        self.list = list
        self.entry = entry
        self.inForce = inForce
        self.annotation = annotation
    }

    /// One line for people: `Annex C, Group I (in force 1994-06-14)`.
    public var summary: String {
        var s = list
        if let entry { s += " \(entry)" }
        if let inForce { s += " (in force \(inForce))" }
        return s
    }
}

/// The names an item is known by. `common` is keyed by BCP 47 language code (`en`, `fr`, `es`, …).
public struct ItemNames: Hashable, Sendable, Codable {
    public var preferred: String
    public var synonyms: [String]
    public var tradeNames: [String]
    public var common: [String: [String]]

    public init(preferred: String, synonyms: [String] = [], tradeNames: [String] = [], common: [String: [String]] = [:])
    {
        self.preferred = preferred
        self.synonyms = synonyms
        self.tradeNames = tradeNames
        self.common = common
    }
}

/// The identifiers an item can be found by.
public struct ItemIdentifiers: Hashable, Sendable, Codable {
    public var cas: [CASNumber]
    public var hs: [HSCode]
    public var ashrae: ASHRAEDesignation?
    public var basel: BaselCode?
    public var lmo: LMOIdentifier?
    public var formula: String?

    public init(
        cas: [CASNumber] = [], hs: [HSCode] = [], ashrae: ASHRAEDesignation? = nil, basel: BaselCode? = nil,
        lmo: LMOIdentifier? = nil, formula: String? = nil
    ) {
        self.cas = cas
        self.hs = hs
        self.ashrae = ashrae
        self.basel = basel
        self.lmo = lmo
        self.formula = formula
    }

    public var isEmpty: Bool {
        cas.isEmpty && hs.isEmpty && ashrae == nil && basel == nil && lmo == nil && formula == nil
    }
}

/// An ozone-depletion potential: a single value or, where the Protocol gives one, a range.
public struct ODP: Hashable, Sendable, Codable, CustomStringConvertible {
    public var low: Double
    public var high: Double
    public init(_ value: Double) { low = value; high = value }
    public init(low: Double, high: Double) { self.low = low; self.high = high }
    /// Parses `0.055` or `0.02-0.07`.
    public init?(_ raw: some StringProtocol) {
        let s = raw.trimmingASCIISpaces()
        if let v = Double(s) { self.init(v); return }
        let parts = s.split(separator: "-")
        guard parts.count == 2, let a = Double(parts[0].trimmingASCIISpaces()),
            let b = Double(parts[1].trimmingASCIISpaces()), a <= b
        else { return nil }
        self.init(low: a, high: b)
    }
    /// The value used where one number is needed (the Protocol uses the upper bound for ranges).
    public var value: Double { high }
    public var description: String { low == high ? formatNumber(low) : "\(formatNumber(low))–\(formatNumber(high))" }
}

/// One component of a mixture, by mass.
public struct Component: Hashable, Sendable, Codable {
    /// The component's designation as written in the composition (`R-32`).
    public var designation: String
    /// The id of the component's item, when it resolves to one.
    public var itemID: String?
    public var massPercent: Double

    public init(designation: String, itemID: String?, massPercent: Double) {
        self.designation = designation
        self.itemID = itemID
        self.massPercent = massPercent
    }
}

/// Where a taxon sits in the tree of life, as far as the record knows.
public struct Taxonomy: Hashable, Sendable, Codable {
    public enum Rank: String, Sendable, Codable, CaseIterable {
        case kingdom = "KINGDOM", phylum = "PHYLUM", `class` = "CLASS", order = "ORDER", family = "FAMILY"
        case subfamily = "SUBFAMILY", genus = "GENUS", species = "SPECIES", subspecies = "SUBSPECIES"
        case variety = "VARIETY"
    }
    public var rank: Rank
    public var kingdom: String?
    public var phylum: String?
    public var `class`: String?
    public var order: String?
    public var family: String?
    public var genus: String?

    public init(
        rank: Rank, kingdom: String? = nil, phylum: String? = nil, class: String? = nil, order: String? = nil,
        family: String? = nil, genus: String? = nil
    ) {
        self.rank = rank
        self.kingdom = kingdom
        self.phylum = phylum
        self.class = `class`
        self.order = order
        self.family = family
        self.genus = genus
    }

    /// The names of the higher taxa this taxon belongs to, from the genus up.
    public var ancestors: [String] { [genus, family, order, `class`, phylum, kingdom].compactMap { $0 } }
}

/// One controlled item (or a look-alike that is deliberately *not* controlled, so screening can tell them apart).
public struct ControlledItem: Hashable, Sendable, Codable, Identifiable {
    /// Unique across the reference set: `<regime>:<slug>` (`montreal:hcfc-22`, `cites:loxodonta-africana`).
    public var id: String
    /// The agreement. Look-alikes that no agreement controls carry the regime they are confused with.
    public var regime: Regime
    public var kind: ItemKind
    /// False for look-alikes such as R-290 or R-1234yf, which are listed so that they can be told apart.
    public var controlled: Bool
    public var names: ItemNames
    public var identifiers: ItemIdentifiers
    public var listings: [Listing]
    public var odp: ODP?
    public var gwp: Double?
    public var composition: [Component]
    public var taxonomy: Taxonomy?
    /// Taxa excluded from a higher-taxon listing, or other exclusions stated by the instrument.
    public var excludes: [String]
    /// Ids of items this one belongs to or relates to (a CWC family, a blend's components).
    public var related: [String]
    /// The item's category within its regime: the Rotterdam category, a refrigerant's class…
    public var category: String?
    public var note: String?
    /// The document(s) and date the facts come from.
    public var source: String

    public init(
        id: String, regime: Regime, kind: ItemKind, controlled: Bool = true, names: ItemNames,
        identifiers: ItemIdentifiers = ItemIdentifiers(), listings: [Listing] = [], odp: ODP? = nil, gwp: Double? = nil,
        composition: [Component] = [], taxonomy: Taxonomy? = nil, excludes: [String] = [], related: [String] = [],
        category: String? = nil, note: String? = nil, source: String
    ) {
        self.id = id
        self.regime = regime
        self.kind = kind
        self.controlled = controlled
        self.names = names
        self.identifiers = identifiers
        self.listings = listings
        self.odp = odp
        self.gwp = gwp
        self.composition = composition
        self.taxonomy = taxonomy
        self.excludes = excludes
        self.related = related
        self.category = category
        self.note = note
        self.source = source
    }

    /// The first listing's summary, or "not controlled" for look-alikes.
    public var listingSummary: String {
        guard controlled else { return "not controlled" }
        return listings.map(\.summary).joined(separator: "; ")
    }
}

/// Formats a number without a trailing `.0` and without locale-dependent separators.
public func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    var s = String(value)
    if s.contains("e") { return s }
    while s.hasSuffix("0") { s.removeLast() }
    return s
}
