import Foundation

/// A declaration file screened in the background: who sent it, how far it has got and what it found so far.
public struct ScreeningJob: Sendable, Equatable, Identifiable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// The file is still arriving and being stored: not yet accepted (it counts against the account's quota).
        case receiving
        /// Accepted, stored whole, waiting for a free worker on any app server.
        case queued
        case running
        case done
        /// Stopped by an error in the input as a whole, or by the server stopping (`message` says which).
        case failed

        /// Done or failed: a terminal state, never left.
        public var isFinished: Bool { self == .done || self == .failed }
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
    /// When the job last moved (a part stored or screened).
    public var heartbeatAt: Date
    /// The parts its input was cut into (`ScreeningJobChunk`).
    public var chunks: Int

    public init(
        id: UUID = UUID(), owner: String, source: String, status: Status = .queued, totalLines: Int, lines: Int = 0,
        errors: Int = 0, green: Int = 0, yellow: Int = 0, red: Int = 0, summaryJSON: String? = nil,
        message: String? = nil, referenceVersion: String, createdAt: Date, startedAt: Date? = nil,
        finishedAt: Date? = nil, heartbeatAt: Date? = nil, chunks: Int = 0
    ) {
        self.chunks = chunks
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

    public var isFinished: Bool { status.isFinished }

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

/// A part of a job's input, cut where a record ends (Screening's `DeclarationChunker`): any app server sharing the
/// database claims it, screens it with the job's header in front, and commits its lines in one transaction.
public struct ScreeningJobChunk: Sendable, Equatable {
    /// 0, 1, 2… in file order.
    public var number: Int
    /// The file's line number of its first line.
    public var firstLine: Int
    public var records: Int
    public var errors: Int
    public var bytes: [UInt8]
    /// The bytes after it in the file, when reading it needs them (rare; see `DeclarationChunker.Chunk.tail`).
    public var tail: [UInt8]

    public init(number: Int, firstLine: Int, records: Int, errors: Int, bytes: [UInt8], tail: [UInt8] = []) {
        self.number = number
        self.firstLine = firstLine
        self.records = records
        self.errors = errors
        self.bytes = bytes
        self.tail = tail
    }
}

/// What every part of a job's input is read with: the file's format, and for CSV its header.
public struct ScreeningJobInput: Sendable, Equatable {
    /// `csv` or `jsonl`.
    public var format: String
    public var header: [UInt8]
    public var headerLines: Int

    public init(format: String, header: [UInt8], headerLines: Int) {
        self.format = format
        self.header = header
        self.headerLines = headerLines
    }
}

/// A part claimed by one worker until `leaseUntil`; after that any worker may take it over.
public struct ScreeningJobClaim: Sendable, Equatable {
    public var jobID: UUID
    public var chunk: ScreeningJobChunk
    /// How many times it has been claimed, this time included: a part that keeps failing fails its job.
    public var attempts: Int

    public init(jobID: UUID, chunk: ScreeningJobChunk, attempts: Int) {
        self.jobID = jobID
        self.chunk = chunk
        self.attempts = attempts
    }
}

/// What screening one part found: its lines, its unreadable lines, the counts to add to the job and its summary.
public struct ScreeningJobChunkResult: Sendable {
    public var lines: [ScreeningJobLine]
    public var problems: [ScreeningJobProblem]
    public var green: Int
    public var yellow: Int
    public var red: Int
    /// The part's summary (Screening's `ScreeningSummary.json`), merged into the job's when all parts are done.
    public var summaryJSON: String

    public init(
        lines: [ScreeningJobLine], problems: [ScreeningJobProblem], green: Int, yellow: Int, red: Int,
        summaryJSON: String
    ) {
        self.lines = lines
        self.problems = problems
        self.green = green
        self.yellow = yellow
        self.red = red
        self.summaryJSON = summaryJSON
    }
}
