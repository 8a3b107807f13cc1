import FluentKit
import Foundation
import GreenCustomsCore
import SQLKit

final class ScreeningJobModel: Model, @unchecked Sendable {
    static let schema = "screening_jobs"

    @ID(key: .id) var id: UUID?
    @Field(key: "owner") var owner: String
    @Field(key: "source") var source: String
    @Field(key: "status") var status: String
    @Field(key: "total_lines") var totalLines: Int
    @Field(key: "lines") var lines: Int
    @Field(key: "errors") var errors: Int
    @Field(key: "green") var green: Int
    @Field(key: "yellow") var yellow: Int
    @Field(key: "red") var red: Int
    @OptionalField(key: "summary_json") var summaryJSON: String?
    @OptionalField(key: "message") var message: String?
    @Field(key: "reference_version") var referenceVersion: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "started_at") var startedAt: Date?
    @OptionalField(key: "finished_at") var finishedAt: Date?
    @Field(key: "heartbeat_at") var heartbeatAt: Date
    @OptionalField(key: "input_format") var inputFormat: String?
    @OptionalField(key: "input_header") var inputHeader: Data?
    @OptionalField(key: "header_lines") var headerLines: Int?
    @OptionalField(key: "chunks") var chunks: Int?

    init() {}
}

/// Screening jobs and their results. Lines go in with multi-row INSERTs inside one transaction per batch, so a
/// million-line file is stored in seconds; they come out in line order, filtered and paged, or in runs for a
/// download.
public struct ScreeningJobStore: Sendable {
    static let linesTable = "screening_job_lines"
    static let problemsTable = "screening_job_problems"
    static let chunksTable = "screening_job_chunks"
    /// Rows per INSERT: 9 values each stays under SQLite's and PostgreSQL's limits on bound values.
    static let rowsPerInsert = 500

    let storage: StorageDatabase

    public init(storage: StorageDatabase) { self.storage = storage }

    var sql: any SQLDatabase {
        get throws {
            guard let sql = storage.database as? any SQLDatabase else {
                throw StorageError(message: "screening jobs need an SQL database")
            }
            return sql
        }
    }

    public func create(_ job: ScreeningJob) async throws {
        let model = ScreeningJobModel()
        model.id = job.id
        Self.copy(job, into: model)
        try await model.create(on: storage.database)
    }

    /// Stores `job` unless its owner already has `limit` jobs that are not finished, in one step that concurrent
    /// requests (on this server or another sharing the database) cannot interleave: a single INSERT … SELECT … WHERE
    /// count < limit, which SQLite runs under its write lock, after a per-owner advisory lock on PostgreSQL. Returns
    /// false, storing nothing, when the owner is at the limit.
    public func create(_ job: ScreeningJob, unlessUnfinishedAtLeast limit: Int) async throws -> Bool {
        if try sql.dialect.name == "postgresql" {
            return try await storage.database.transaction { db in
                guard let sql = db as? any SQLDatabase else {
                    throw StorageError(message: "screening jobs need an SQL database")
                }
                try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "screening_jobs:" + job.owner)))").run()
                return try await Self.insert(job, unlessUnfinishedAtLeast: limit, sql: sql, db: db)
            }
        }
        return try await Self.insert(job, unlessUnfinishedAtLeast: limit, sql: sql, db: storage.database)
    }

    /// The INSERT … SELECT of `create(_:unlessUnfinishedAtLeast:)`, and whether it stored the job.
    static func insert(_ job: ScreeningJob, unlessUnfinishedAtLeast limit: Int, sql: any SQLDatabase, db: any Database)
        async throws -> Bool
    {
        let unfinished: [any Encodable & Sendable] = ScreeningJob.Status.allCases.filter { !$0.isFinished }
            .map(\.rawValue)
        try await sql.raw(
            """
            INSERT INTO \(ident: ScreeningJobModel.schema) ("id", "owner", "source", "status", "total_lines", "lines",
            "errors", "green", "yellow", "red", "reference_version", "created_at", "heartbeat_at")
            SELECT \(bind: job.id), \(bind: job.owner), \(bind: String(job.source.prefix(255))),
            \(bind: job.status.rawValue), \(bind: job.totalLines), 0, 0, 0, 0, 0, \(bind: job.referenceVersion),
            \(bind: job.createdAt), \(bind: job.heartbeatAt)
            WHERE (SELECT COUNT(*) FROM \(ident: ScreeningJobModel.schema) WHERE "owner" = \(bind: job.owner)
            AND "status" IN (\(binds: unfinished))) < \(bind: limit)
            """
        ).run()
        return try await ScreeningJobModel.find(job.id, on: db) != nil
    }

    public func job(id: UUID) async throws -> ScreeningJob? {
        try await ScreeningJobModel.find(id, on: storage.database).map(Self.job)
    }

    /// The jobs of one account, newest first.
    public func jobs(owner: String, limit: Int = 50) async throws -> [ScreeningJob] {
        try await ScreeningJobModel.query(on: storage.database).filter(\.$owner == owner)
            .sort(\.$createdAt, .descending).limit(limit).all().map(Self.job)
    }

    /// How many of an account's jobs have not ended (receiving, queued or running).
    public func unfinishedCount(owner: String) async throws -> Int {
        try await ScreeningJobModel.query(on: storage.database).filter(\.$owner == owner)
            .filter(\.$status ~~ ScreeningJob.Status.allCases.filter { !$0.isFinished }.map(\.rawValue)).count()
    }

    /// Marks a job failed, saying why, unless it has already ended (done or failed): a job ends once. What it had
    /// stored stays. Returns whether it was marked.
    @discardableResult
    public func fail(id: UUID, message: String, at now: Date = Date()) async throws -> Bool {
        let finished: [any Encodable & Sendable] = ScreeningJob.Status.allCases.filter(\.isFinished).map(\.rawValue)
        let rows = try await sql.raw(
            """
            UPDATE \(ident: ScreeningJobModel.schema) SET "status" = \(bind: ScreeningJob.Status.failed.rawValue),
            "message" = \(bind: String(message.prefix(2_000))), "finished_at" = \(bind: now), "heartbeat_at" = \(bind: now)
            WHERE "id" = \(bind: id) AND "status" NOT IN (\(binds: finished)) RETURNING "id"
            """
        ).all()
        return !rows.isEmpty
    }

    /// Deletes a job and everything stored with it.
    public func delete(id: UUID) async throws {
        try await storage.database.transaction { db in
            guard let sql = db as? any SQLDatabase else {
                throw StorageError(message: "screening jobs need an SQL database")
            }
            try await sql.delete(from: Self.linesTable).where("job_id", .equal, SQLBind(id)).run()
            try await sql.delete(from: Self.problemsTable).where("job_id", .equal, SQLBind(id)).run()
            try await sql.delete(from: Self.chunksTable).where("job_id", .equal, SQLBind(id)).run()
            try await ScreeningJobModel.query(on: db).filter(\.$id == id).delete()
        }
    }

    /// Deletes the jobs that finished before `date`; returns how many.
    @discardableResult
    public func deleteFinished(before date: Date) async throws -> Int {
        let old = try await ScreeningJobModel.query(on: storage.database).filter(\.$finishedAt < date)
            .filter(\.$status ~~ [ScreeningJob.Status.done.rawValue, ScreeningJob.Status.failed.rawValue]).all()
        for job in old { try await delete(id: try job.requireID()) }
        return old.count
    }

    // MARK: Reading lines

    /// The lines that pass `filter`, in line order, `limit` from `offset`.
    public func lines(id: UUID, filter: ScreeningJobFilter, limit: Int, offset: Int = 0) async throws
        -> [ScreeningJobLine]
    {
        var select = try Self.filtered(sql.select(), id: id, filter)
            .columns("line_number", "line_id", "lane", "risk_score", "regimes", "flags", "json", "csv")
            .from(Self.linesTable).orderBy("line_number").limit(limit)
        if offset > 0 { select = select.offset(offset) }
        return try await select.all().map(Self.line)
    }

    /// Up to `limit` lines that pass `filter` after line number `after`, in line order: a download reads the
    /// whole job this way without offsets.
    public func lines(id: UUID, filter: ScreeningJobFilter, after: Int, limit: Int) async throws -> [ScreeningJobLine] {
        try await Self.filtered(sql.select(), id: id, filter)
            .columns("line_number", "line_id", "lane", "risk_score", "regimes", "flags", "json", "csv")
            .from(Self.linesTable).where("line_number", .greaterThan, SQLBind(after)).orderBy("line_number")
            .limit(limit).all().map(Self.line)
    }

    public func count(id: UUID, filter: ScreeningJobFilter) async throws -> Int {
        let row = try await Self.filtered(sql.select(), id: id, filter)
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Self.linesTable).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// The unreadable lines after line number `after`, in line order.
    public func problems(id: UUID, after: Int = 0, limit: Int) async throws -> [ScreeningJobProblem] {
        try await sql.select().columns("line_number", "message").from(Self.problemsTable)
            .where("job_id", .equal, SQLBind(id)).where("line_number", .greaterThan, SQLBind(after))
            .orderBy("line_number").limit(limit).all()
            .map {
                ScreeningJobProblem(
                    lineNumber: try $0.decode(column: "line_number", as: Int.self),
                    message: try $0.decode(column: "message", as: String.self))
            }
    }

    static func filtered(_ select: SQLSelectBuilder, id: UUID, _ filter: ScreeningJobFilter) -> SQLSelectBuilder {
        var select = select.where("job_id", .equal, SQLBind(id))
        if let lane = filter.lane { select = select.where("lane", .equal, SQLBind(lane)) }
        if let regime = filter.regime { select = select.where("regimes", .like, SQLBind("%,\(regime.rawValue),%")) }
        if let flag = filter.flag { select = select.where("flags", .like, SQLBind("%,\(flag),%")) }
        if let part = filter.lineID, !part.isEmpty {
            let pattern = "%" + escapeLike(part) + "%"
            select = select.where(SQLQueryString("\(ident: "line_id") LIKE \(bind: pattern) ESCAPE '\\'"))
        }
        return select
    }

    /// `s` with LIKE's wildcards and escape character escaped (with a backslash).
    static func escapeLike(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// A list stored as `,a,b,` so that `LIKE '%,a,%'` finds one member; empty as `,`.
    static func list(_ values: [String]) -> String { "," + values.map { $0 + "," }.joined() }

    static func unlist(_ s: String) -> [String] { s.split(separator: ",").map(String.init) }

    static func line(_ row: any SQLRow) throws -> ScreeningJobLine {
        ScreeningJobLine(
            lineNumber: try row.decode(column: "line_number", as: Int.self),
            lineID: try row.decode(column: "line_id", as: String.self),
            lane: try row.decode(column: "lane", as: String.self),
            riskScore: try row.decode(column: "risk_score", as: Int.self),
            regimes: unlist(try row.decode(column: "regimes", as: String.self)).compactMap(Regime.init(rawValue:)),
            flags: unlist(try row.decode(column: "flags", as: String.self)),
            json: try row.decode(column: "json", as: String?.self),
            csv: try row.decode(column: "csv", as: String?.self))
    }

    static func copy(_ job: ScreeningJob, into model: ScreeningJobModel) {
        model.owner = job.owner
        model.source = String(job.source.prefix(255))
        model.status = job.status.rawValue
        model.totalLines = job.totalLines
        model.lines = job.lines
        model.errors = job.errors
        model.green = job.green
        model.yellow = job.yellow
        model.red = job.red
        model.summaryJSON = job.summaryJSON
        model.message = job.message
        model.referenceVersion = job.referenceVersion
        model.createdAt = job.createdAt
        model.startedAt = job.startedAt
        model.finishedAt = job.finishedAt
        model.heartbeatAt = job.heartbeatAt
    }

    static func job(_ m: ScreeningJobModel) throws -> ScreeningJob {
        ScreeningJob(
            id: try m.requireID(), owner: m.owner, source: m.source,
            status: ScreeningJob.Status(rawValue: m.status) ?? .failed, totalLines: m.totalLines, lines: m.lines,
            errors: m.errors, green: m.green, yellow: m.yellow, red: m.red, summaryJSON: m.summaryJSON,
            message: m.message, referenceVersion: m.referenceVersion, createdAt: m.createdAt, startedAt: m.startedAt,
            finishedAt: m.finishedAt, heartbeatAt: m.heartbeatAt, chunks: m.chunks ?? 0)
    }
}
