/// The seven agreements Green Customs screens against. The raw values are the ids used everywhere
/// (files, URLs, JSON, the command line).
public enum Regime: String, CaseIterable, Codable, Sendable, Comparable {
    case basel
    case cartagena
    case cites
    case montreal
    case rotterdam
    case stockholm
    case cwc

    /// The agreement's short English title.
    public var title: String {
        switch self {
        case .basel: "Basel Convention"
        case .cartagena: "Cartagena Protocol on Biosafety"
        case .cites: "CITES"
        case .montreal: "Montreal Protocol"
        case .rotterdam: "Rotterdam Convention"
        case .stockholm: "Stockholm Convention"
        case .cwc: "Chemical Weapons Convention"
        }
    }

    public static func < (lhs: Regime, rhs: Regime) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// Agreements and amendments a country can be party to (the columns of `countries.csv`).
public enum Agreement: String, CaseIterable, Codable, Sendable {
    case basel
    case baselBan = "basel_ban"
    case cartagena
    case cites
    case cwc
    case montreal
    case london
    case copenhagen
    case montrealAmendment = "montreal_amendment"
    case beijing
    case kigali
    case rotterdam
    case stockholm

    /// The regime the agreement or amendment belongs to.
    public var regime: Regime {
        switch self {
        case .basel, .baselBan: .basel
        case .cartagena: .cartagena
        case .cites: .cites
        case .cwc: .cwc
        case .montreal, .london, .copenhagen, .montrealAmendment, .beijing, .kigali: .montreal
        case .rotterdam: .rotterdam
        case .stockholm: .stockholm
        }
    }
}

/// Which way goods move across the border.
public enum Direction: String, CaseIterable, Codable, Sendable {
    case `import`
    case export
    case reExport = "re-export"
    case transit
    case any
}
