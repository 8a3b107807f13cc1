import GreenCustomsCore

/// How a query reached an item, strongest first.
public enum MatchKind: String, Sendable, Codable {
    case casNumber = "cas_number"
    case lmoIdentifier = "lmo_identifier"
    case baselCode = "basel_code"
    case ashraeDesignation = "ashrae_designation"
    case hsCode = "hs_code"
    case hsHeading = "hs_heading"
    case name
    case synonym
    case tradeName = "trade_name"
    case commonName = "common_name"
    case tradeTerm = "trade_term"
    case category
    case nameWords = "name_words"
    case partialName = "partial_name"
    case typo
    case higherTaxon = "higher_taxon"
}

/// One answer to a look-up: an item (or, for an HS code with no specific item, the HS link itself), how it was
/// matched, and what the regime requires of a shipment.
public struct LookupResult: Sendable {
    public var item: ControlledItem?
    public var hsLink: HSLink?
    public var regime: Regime
    public var score: Int
    public var match: MatchKind
    /// The name, code or identifier in the reference data that matched.
    public var matchedText: String
    /// A sentence for the officer when the match needs explaining (inheritance, typo, exclusion).
    public var explanation: String?
    public var requirements: [Requirement]

    /// The item's name as shown to people.
    public var title: String { item?.names.preferred ?? hsLink?.description ?? "" }

    /// The listing as shown to people.
    public var listing: String {
        if let item { return item.listingSummary }
        if let hsLink { return "HS 2022 \(hsLink.hs.formatted) (\(hsLink.coverage.rawValue))" }
        return ""
    }
}

/// The answer to a query, best first, with notes about the query itself (e.g. an invalid CAS check digit).
public struct LookupResponse: Sendable {
    public var query: String
    public var results: [LookupResult]
    public var notes: [String]
    public var referenceVersion: String
}
