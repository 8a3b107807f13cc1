import GreenCustomsCore

/// What an officer should do with a line: let it go (green), look at the documents (yellow), or stop it (red).
public enum Lane: String, Sendable, Codable, CaseIterable, Comparable {
    case green, yellow, red

    /// The place in `allCases`, without searching it (lanes are compared for every line).
    var rank: Int {
        switch self {
        case .green: 0
        case .yellow: 1
        case .red: 2
        }
    }

    public static func < (a: Lane, b: Lane) -> Bool { a.rank < b.rank }
}

/// How sure a finding is. `certain` and `likely` mean an officer should act; `possible` is a weak sign worth a
/// look (a broad HS heading, a common name with nothing around it that says wildlife).
public enum Certainty: String, Sendable, Codable, CaseIterable, Comparable {
    case possible, likely, certain

    /// The place in `allCases`, without searching it (certainties are compared for every candidate).
    var rank: Int {
        switch self {
        case .possible: 0
        case .likely: 1
        case .certain: 2
        }
    }

    public static func < (a: Certainty, b: Certainty) -> Bool { a.rank < b.rank }
}

/// Which field of the line a finding rests on.
public enum Basis: String, Sendable, Codable, CaseIterable {
    case casNumber = "cas_number"
    case hsCode = "hs_code"
    case species
    case description
}

/// One listed item found on a line, with the evidence and what the line needs.
public struct Finding: Sendable, Equatable {
    public var regime: Regime
    public var certainty: Certainty
    public var basis: Basis
    /// The item's id in the reference data (`montreal:hcfc-22`, `cites:python-regius`).
    public var itemID: String
    /// The item's name as officers read it.
    public var item: String
    /// The listing, e.g. `Appendix II`, `Annex C, Group I`.
    public var listing: String
    /// The text of the line the finding rests on.
    public var evidence: String
    /// How the evidence reached the item: `name`, `common_name`, `typo`, `higher_taxon`, `ashrae_designation`…
    public var match: MatchKind
    /// Other fields that point at the same item (an HS code that agrees with the description).
    public var corroboratedBy: [Basis]
    /// A sentence when the match needs explaining (a typo, a listed genus, a blend's component).
    public var explanation: String?
    /// The documents the agreement requires for the line's direction.
    public var requirements: [String]
}

/// Something that looks wrong on the line, whether or not an item was found.
public struct Flag: Sendable, Equatable {
    public var code: Code
    public var message: String

    public enum Code: String, Sendable, CaseIterable {
        case invalidCAS = "invalid_cas"
        case casMismatch = "cas_mismatch"
        case hsMismatch = "hs_mismatch"
        case missingPermit = "missing_permit"
        case citesAppendixI = "cites_appendix_i"
        case nonParty = "non_party_trade"
        case baselBan = "basel_ban"
        case popsImport = "pops_import"
        case cwcNonStateParty = "cwc_non_state_party"
        case kigaliNonParty = "kigali_non_party"
        case excluded = "excluded"
        case unknownCountry = "unknown_country"
        case invalidDate = "invalid_date"

        /// How much the flag adds to the risk score.
        var weight: Int {
            switch self {
            case .baselBan, .nonParty, .cwcNonStateParty: 30
            case .hsMismatch, .casMismatch, .citesAppendixI: 20
            case .missingPermit, .popsImport, .invalidCAS: 15
            case .kigaliNonParty: 10
            case .unknownCountry, .invalidDate, .excluded: 0
            }
        }
    }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// The answer for one declaration line.
public struct ScreeningResult: Sendable, Equatable {
    public var lineID: String
    /// The physical line of the input the record started on.
    public var lineNumber: Int
    public var lane: Lane
    /// 0–100: how strongly the findings and flags together call for a check.
    public var riskScore: Int
    public var findings: [Finding]
    public var flags: [Flag]
    public var referenceVersion: String

    public init(
        lineID: String, lineNumber: Int, lane: Lane, riskScore: Int, findings: [Finding], flags: [Flag],
        referenceVersion: String
    ) {
        self.lineID = lineID
        self.lineNumber = lineNumber
        self.lane = lane
        self.riskScore = riskScore
        self.findings = findings
        self.flags = flags
        self.referenceVersion = referenceVersion
    }

    /// A clear line: green, nothing found, nothing flagged.
    public var isClear: Bool { lane == .green && findings.isEmpty && flags.isEmpty }
}
