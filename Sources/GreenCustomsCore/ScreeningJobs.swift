import Foundation

/// A declaration file screened in the background: who sent it, how far it has got and what it found so far.
public struct ScreeningJob: Sendable, Equatable, Identifiable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Accepted, waiting for a free worker.
        case queued
        case running
        case done
        /// Stopped by an error in the input as a whole, or by the server stopping (`message` says which).
        case failed
    }

    public var id: UUID
    /// The account that sent the file; only it sees the job.
    public var owner: String
    /// The file name, or "pasted lines".
    public var source: String
    public var status: Status
    /// Lines in the input (an estimate from its line breaks until the job is done, then exact).
    public var totalLines: Int
    /// Lines screened so far.
    public var lines: Int
    /// Unreadable lines skipped so far.
    public var errors: Int
    public var green: Int
    public var yellow: Int
    public var red: Int
    /// The run's summary as JSON (`ScreeningSummary.json`), once done.
    public var summaryJSON: String?
    /// Why it failed, when it did.
    public var message: String?
    public var referenceVersion: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// When its worker last reported progress: a running job whose worker has been silent for long was cut off
    /// by a server stopping.
    public var heartbeatAt: Date

    public init(
        id: UUID = UUID(), owner: String, source: String, status: Status = .queued, totalLines: Int, lines: Int = 0,
        errors: Int = 0, green: Int = 0, yellow: Int = 0, red: Int = 0, summaryJSON: String? = nil,
        message: String? = nil, referenceVersion: String, createdAt: Date, startedAt: Date? = nil,
        finishedAt: Date? = nil, heartbeatAt: Date? = nil
    ) {
        self.id = id
        self.owner = owner
        self.source = source
        self.status = status
        self.totalLines = totalLines
        self.lines = lines
        self.errors = errors
        self.green = green
        self.yellow = yellow
        self.red = red
        self.summaryJSON = summaryJSON
        self.message = message
        self.referenceVersion = referenceVersion
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.heartbeatAt = heartbeatAt ?? createdAt
    }

    public var isFinished: Bool { status == .done || status == .failed }

    /// Lines read so far (screened or skipped), as a share of the total, 0…1.
    public var progress: Double {
        if status == .done { return 1 }
        guard totalLines > 0 else { return 0 }
        return min(1, Double(lines + errors) / Double(totalLines))
    }
}

/// One screened line of a job, as stored. A clear line (green, no finding, no flag) keeps only its id: its output
/// is the same for every such line and is written again when asked for.
public struct ScreeningJobLine: Sendable, Equatable {
    public var lineNumber: Int
    public var lineID: String
    /// The lane's id (`green`, `yellow`, `red`).
    public var lane: String
    public var riskScore: Int
    /// The agreements of its findings.
    public var regimes: [Regime]
    /// The codes of its flags.
    public var flags: [String]
    /// The result as one JSON Lines object (with its line break), nil for a clear line.
    public var json: String?
    /// The result as one CSV row (with its line break), nil for a clear line.
    public var csv: String?

    public init(
        lineNumber: Int, lineID: String, lane: String, riskScore: Int, regimes: [Regime], flags: [String],
        json: String?, csv: String?
    ) {
        self.lineNumber = lineNumber
        self.lineID = lineID
        self.lane = lane
        self.riskScore = riskScore
        self.regimes = regimes
        self.flags = flags
        self.json = json
        self.csv = csv
    }
}

/// An unreadable line of a job: its line number in the file and what is wrong with it.
public struct ScreeningJobProblem: Sendable, Equatable {
    public var lineNumber: Int
    public var message: String

    public init(lineNumber: Int, message: String) {
        self.lineNumber = lineNumber
        self.message = message
    }
}

/// Which lines of a job to show or download; nil fields do not filter.
public struct ScreeningJobFilter: Sendable, Equatable {
    public var lane: String?
    public var regime: Regime?
    public var flag: String?
    /// Part of the line id.
    public var lineID: String?

    public init(lane: String? = nil, regime: Regime? = nil, flag: String? = nil, lineID: String? = nil) {
        self.lane = lane
        self.regime = regime
        self.flag = flag
        self.lineID = lineID
    }

    public var isEmpty: Bool { lane == nil && regime == nil && flag == nil && lineID == nil }
}
