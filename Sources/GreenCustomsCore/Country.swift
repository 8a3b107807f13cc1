/// An ISO 3166-1 country or territory and the dates it became party to each agreement and amendment.
public struct Country: Hashable, Sendable, Codable, Identifiable {
    public var code: CountryCode
    public var alpha3: String
    public var numeric: String
    /// Names by language code (`en`, `fr`, `es`).
    public var names: [String: String]
    /// For a territory: the state whose ratifications extend to it.
    public var partyVia: CountryCode?
    /// The date each agreement or amendment entered into force for this country; absent where it is not party.
    public var memberships: [Agreement: CalendarDate]
    public var source: String

    public var id: String { code.text }

    public init(
        code: CountryCode, alpha3: String, numeric: String, names: [String: String], partyVia: CountryCode? = nil,
        memberships: [Agreement: CalendarDate] = [:], source: String
    ) {
        self.code = code
        self.alpha3 = alpha3
        self.numeric = numeric
        self.names = names
        self.partyVia = partyVia
        self.memberships = memberships
        self.source = source
    }

    public var name: String { names["en"] ?? code.text }

    /// Whether the country was party to the agreement (or amendment) on the given day.
    public func isParty(to agreement: Agreement, on date: CalendarDate) -> Bool {
        guard let since = memberships[agreement] else { return false }
        return since <= date
    }
}

/// What an agreement requires of a shipment of a listed item moving in a direction.
public struct Requirement: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case licence, permit, certificate
        case notificationAndConsent = "notification-and-consent"
        case movementDocument = "movement-document"
        case importResponse = "import-response"
        case exportNotification = "export-notification"
        case prohibition, documentation, declaration
        case endUseCertificate = "end-use-certificate"
    }
    public var regime: Regime
    /// The listing it applies to: `*` for every listing of the regime, or words of the listing (`Appendix I`).
    public var listing: String
    public var direction: Direction
    public var kind: Kind
    /// The document to present, e.g. "CITES export permit".
    public var document: String
    public var description: String
    public var source: String

    public init(
        regime: Regime, listing: String, direction: Direction, kind: Kind, document: String, description: String,
        source: String
    ) {
        self.regime = regime
        self.listing = listing
        self.direction = direction
        self.kind = kind
        self.document = document
        self.description = description
        self.source = source
    }
}

/// How an HS subheading relates to controlled goods.
public struct HSLink: Hashable, Sendable, Codable {
    public enum Coverage: String, Sendable, Codable {
        /// The subheading names the controlled item.
        case names
        /// The item is normally classified there.
        case covers
        /// A broad subheading that may hold controlled goods.
        case possible
    }
    public var hs: HSCode
    public var description: String
    public var regimes: [Regime]
    public var itemIDs: [String]
    public var coverage: Coverage
    public var note: String?
    public var source: String

    public init(
        hs: HSCode, description: String, regimes: [Regime], itemIDs: [String], coverage: Coverage, note: String?,
        source: String
    ) {
        self.hs = hs
        self.description = description
        self.regimes = regimes
        self.itemIDs = itemIDs
        self.coverage = coverage
        self.note = note
        self.source = source
    }
}

/// A word or phrase used in trade for goods made of controlled items ("ivory", "shark fin", "caviar"), in one
/// language, with the items it points to.
public struct TradeTerm: Hashable, Sendable, Codable {
    public var term: String
    public var language: String
    public var itemIDs: [String]
    public var note: String?
    public var source: String

    public init(term: String, language: String, itemIDs: [String], note: String?, source: String) {
        self.term = term
        self.language = language
        self.itemIDs = itemIDs
        self.note = note
        self.source = source
    }
}

/// The text of an HS 2022 chapter (2 digits), heading (4) or subheading (6), from an imported nomenclature.
public struct HSDescription: Hashable, Sendable, Codable {
    public var code: String
    public var description: String

    public init(code: String, description: String) {
        self.code = code
        self.description = description
    }
}

/// Everything the engine knows: items of every regime, countries, requirements and HS links, with the versions
/// of the datasets they came from. A screening result names `version`, so it can be reproduced exactly.
public struct ReferenceSet: Sendable {
    public var items: [ControlledItem]
    public var countries: [Country]
    public var requirements: [Requirement]
    public var hsLinks: [HSLink]
    public var tradeTerms: [TradeTerm]
    /// HS 2022 texts by code (digits only), when a nomenclature has been imported.
    public var hsDescriptions: [String: String]
    /// Identifies the datasets: e.g. `bundled-2025.1+3f2a…; cites-speciesplus-2017-04-21`.
    public var version: String

    public init(
        items: [ControlledItem] = [], countries: [Country] = [], requirements: [Requirement] = [],
        hsLinks: [HSLink] = [], tradeTerms: [TradeTerm] = [], hsDescriptions: [String: String] = [:],
        version: String
    ) {
        self.items = items
        self.countries = countries
        self.requirements = requirements
        self.hsLinks = hsLinks
        self.tradeTerms = tradeTerms
        self.hsDescriptions = hsDescriptions
        self.version = version
    }

    /// The requirements that apply to an item's listings, in file order, without repeats.
    public func requirements(for item: ControlledItem) -> [Requirement] {
        guard item.controlled else { return [] }
        var out: [Requirement] = []
        for requirement in requirements where requirement.regime == item.regime {
            let applies =
                requirement.listing == "*"
                || item.listings.contains { Requirement.listing(requirement.listing, matches: $0.list) }
            if applies, !out.contains(requirement) { out.append(requirement) }
        }
        return out
    }
}

extension Requirement {
    /// Whether a requirement's listing pattern (`Appendix I`, `Annex C`) names the listing `list`: the pattern's
    /// words must appear in the listing's words in order, whole words only, so `Appendix I` does not match
    /// `Appendix II`. A split listing such as `Appendix I/II` matches both.
    public static func listing(_ pattern: String, matches list: String) -> Bool {
        func words(_ s: String) -> [Substring] {
            s.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        }
        let p = words(pattern)
        let l = words(list)
        guard !p.isEmpty, p.count <= l.count else { return false }
        // The first word is the list's kind (annex, appendix, schedule); the rest must be found after it.
        guard p[0] == l[0] else { return false }
        var j = 1
        for word in p.dropFirst() {
            while j < l.count, l[j] != word { j += 1 }
            if j == l.count { return false }
            j += 1
        }
        return true
    }
}
