import FluentKit
import Foundation
import GreenCustomsCore
import SQLKit

/// Durable jobs: the uploaded file is stored as parts (`screening_job_chunks`) before the job is accepted; app
/// servers sharing the database claim parts with a lease (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, a single
/// UPDATE under SQLite's write lock), screen them and commit each part's lines in one transaction that also marks the
/// part done, only while the lease is still theirs. A part whose lease lapses (its server died) is claimed again by
/// any server; a part is never committed twice, so no line is lost or screened twice, and the job ends in exactly one
/// terminal state: every state change names the state it leaves.
extension ScreeningJobStore {
    /// The states of a part.
    enum ChunkState: String {
        case pending, claimed, done
    }

    /// Stores parts of a job's input as they are cut; the job stays `receiving` (not claimable) until
    /// `completeInput`.
    public func addChunks(jobID: UUID, _ chunks: [ScreeningJobChunk], at now: Date = Date()) async throws {
        guard !chunks.isEmpty else { return }
        try await storage.database.transaction { db in
            let sql = try Self.sql(db)
            // A few parts per INSERT: each holds up to a few hundred KiB of input.
            for start in stride(from: 0, to: chunks.count, by: 8) {
                var insert = sql.insert(into: Self.chunksTable).columns(
                    "job_id", "chunk", "first_line", "records", "errors", "input", "tail", "state", "attempts")
                for chunk in chunks[start..<min(start + 8, chunks.count)] {
                    insert = insert.values(
                        SQLBind(jobID), SQLBind(chunk.number), SQLBind(chunk.firstLine), SQLBind(chunk.records),
                        SQLBind(chunk.errors), SQLBind(Data(chunk.bytes)),
                        SQLBind(chunk.tail.isEmpty ? nil : Data(chunk.tail)), SQLBind(ChunkState.pending.rawValue),
                        SQLBind(0))
                }
                try await insert.run()
            }
            try await ScreeningJobModel.query(on: db).filter(\.$id == jobID)
                .filter(\.$status == ScreeningJob.Status.receiving.rawValue)
                .set(\.$heartbeatAt, to: now).update()
        }
    }

    /// The whole input is stored: the job is accepted (`queued`) with its format, header and line count, for any
    /// server to run. A job with no part at all is done at once. False when the job is no longer `receiving`.
    @discardableResult
    public func completeInput(
        jobID: UUID, input: ScreeningJobInput, chunks: Int, totalLines: Int, emptySummaryJSON: String,
        at now: Date = Date()
    ) async throws -> Bool {
        let sql = try self.sql
        let empty = chunks == 0
        let rows = try await sql.update(ScreeningJobModel.schema)
            .set("status", to: SQLBind(empty ? ScreeningJob.Status.done.rawValue : ScreeningJob.Status.queued.rawValue))
            .set("input_format", to: SQLBind(input.format)).set("input_header", to: SQLBind(Data(input.header)))
            .set("header_lines", to: SQLBind(input.headerLines)).set("chunks", to: SQLBind(chunks))
            .set("total_lines", to: SQLBind(totalLines)).set("heartbeat_at", to: SQLBind(now))
            .set("summary_json", to: SQLBind(empty ? emptySummaryJSON : nil))
            .set("finished_at", to: SQLBind(empty ? now : nil))
            .where("id", .equal, SQLBind(jobID))
            .where("status", .equal, SQLBind(ScreeningJob.Status.receiving.rawValue))
            .returning("id").all()
        return !rows.isEmpty
    }

    /// The format and header every part of the job is read with.
    public func input(jobID: UUID) async throws -> ScreeningJobInput? {
        guard let model = try await ScreeningJobModel.find(jobID, on: storage.database),
            let format = model.inputFormat
        else { return nil }
        return ScreeningJobInput(
            format: format, header: model.inputHeader.map { [UInt8]($0) } ?? [], headerLines: model.headerLines ?? 0)
    }

    /// Claims the next part to screen, in the order jobs were accepted: a pending part, or one whose lease lapsed
    /// before `now`, of a job that is queued or running. The claim holds until `leaseUntil`. Marks the job running.
    public func claimChunk(worker: String, now: Date = Date(), leaseUntil: Date) async throws -> ScreeningJobClaim? {
        let sql = try self.sql
        let postgres = sql.dialect.name == "postgresql"
        let active: [any Encodable & Sendable] = [
            ScreeningJob.Status.queued.rawValue, ScreeningJob.Status.running.rawValue,
        ]
        // An idle worker asks every second: a read first, so that finding nothing writes nothing (and takes no
        // write lock from a long import or another server's commit).
        let waiting = try await sql.raw(
            """
            SELECT 1 AS "found" FROM \(ident: Self.chunksTable) c
            JOIN \(ident: ScreeningJobModel.schema) j ON j."id" = c."job_id"
            WHERE j."status" IN (\(binds: active))
            AND (c."state" = \(bind: ChunkState.pending.rawValue)
                OR (c."state" = \(bind: ChunkState.claimed.rawValue) AND c."lease_until" < \(bind: now)))
            LIMIT 1
            """
        ).first()
        guard waiting != nil else { return nil }
        // One statement: the candidate is chosen and claimed at once. PostgreSQL skips parts another server is
        // claiming this instant; SQLite runs the statement under its write lock. The candidate is a common table
        // expression, which PostgreSQL evaluates exactly once (a subquery in the WHERE clause may be evaluated again
        // for each row, and then claims several parts).
        let rows = try await sql.raw(
            """
            WITH "next" AS (
                SELECT c."job_id", c."chunk" FROM \(ident: Self.chunksTable) c
                JOIN \(ident: ScreeningJobModel.schema) j ON j."id" = c."job_id"
                WHERE j."status" IN (\(binds: active))
                AND (c."state" = \(bind: ChunkState.pending.rawValue)
                    OR (c."state" = \(bind: ChunkState.claimed.rawValue) AND c."lease_until" < \(bind: now)))
                ORDER BY j."created_at", j."id", c."chunk" LIMIT 1
                \(unsafeRaw: postgres ? "FOR UPDATE OF c SKIP LOCKED" : "")
            )
            UPDATE \(ident: Self.chunksTable) SET "state" = \(bind: ChunkState.claimed.rawValue),
            "lease_owner" = \(bind: worker), "lease_until" = \(bind: leaseUntil), "attempts" = "attempts" + 1
            WHERE ("job_id", "chunk") IN (SELECT "job_id", "chunk" FROM "next")
            RETURNING "job_id", "chunk", "first_line", "records", "errors", "input", "tail", "attempts"
            """
        ).all()
        guard let row = rows.first else { return nil }
        let jobID = try row.decode(column: "job_id", as: UUID.self)
        let claim = ScreeningJobClaim(
            jobID: jobID,
            chunk: ScreeningJobChunk(
                number: try row.decode(column: "chunk", as: Int.self),
                firstLine: try row.decode(column: "first_line", as: Int.self),
                records: try row.decode(column: "records", as: Int.self),
                errors: try row.decode(column: "errors", as: Int.self),
                bytes: [UInt8](try row.decode(column: "input", as: Data.self)),
                tail: (try row.decode(column: "tail", as: Data?.self)).map { [UInt8]($0) } ?? []),
            attempts: try row.decode(column: "attempts", as: Int.self))
        try await sql.update(ScreeningJobModel.schema)
            .set("status", to: SQLBind(ScreeningJob.Status.running.rawValue)).set("started_at", to: SQLBind(now))
            .set("heartbeat_at", to: SQLBind(now))
            .where("id", .equal, SQLBind(jobID))
            .where("status", .equal, SQLBind(ScreeningJob.Status.queued.rawValue)).run()
        return claim
    }

    /// Stores a screened part: its lines and unreadable lines, the job's counts, and the part marked done, in one
    /// transaction, only while `worker` still holds the part. False (nothing stored) when the lease was lost: another
    /// server has the part now.
    public func commitChunk(
        _ claim: ScreeningJobClaim, worker: String, result: ScreeningJobChunkResult, at now: Date = Date()
    ) async throws -> Bool {
        do {
            try await storage.database.transaction { db in
                let sql = try Self.sql(db)
                // First a write, so that SQLite takes its write lock now, not after reading.
                let held = try await sql.update(Self.chunksTable)
                    .set("state", to: SQLBind(ChunkState.done.rawValue)).set("lease_owner", to: SQLBind(nil as String?))
                    .set("summary_json", to: SQLBind(result.summaryJSON))
                    // The input is not needed any more: only the results stay.
                    .set("input", to: SQLBind(Data())).set("tail", to: SQLBind(nil as Data?))
                    .where("job_id", .equal, SQLBind(claim.jobID)).where("chunk", .equal, SQLBind(claim.chunk.number))
                    .where("state", .equal, SQLBind(ChunkState.claimed.rawValue))
                    .where("lease_owner", .equal, SQLBind(worker))
                    .returning("chunk").all()
                guard !held.isEmpty else { throw LeaseLost() }
                try await Self.insert(lines: result.lines, problems: result.problems, jobID: claim.jobID, sql: sql)
                try await sql.raw(
                    """
                    UPDATE \(ident: ScreeningJobModel.schema) SET "lines" = "lines" + \(bind: result.lines.count),
                    "errors" = "errors" + \(bind: result.problems.count), "green" = "green" + \(bind: result.green),
                    "yellow" = "yellow" + \(bind: result.yellow), "red" = "red" + \(bind: result.red),
                    "heartbeat_at" = \(bind: now) WHERE "id" = \(bind: claim.jobID)
                    """
                ).run()
            }
            return true
        } catch is LeaseLost {
            return false
        }
    }

    private struct LeaseLost: Error {}

    /// Gives back the parts `worker` holds (a server stopping): another server may claim them at once.
    @discardableResult
    public func releaseChunks(worker: String) async throws -> Int {
        let rows = try await sql.update(Self.chunksTable)
            .set("state", to: SQLBind(ChunkState.pending.rawValue)).set("lease_owner", to: SQLBind(nil as String?))
            .set("lease_until", to: SQLBind(nil as Date?))
            .where("state", .equal, SQLBind(ChunkState.claimed.rawValue)).where("lease_owner", .equal, SQLBind(worker))
            .returning("chunk").all()
        return rows.count
    }

    /// The summaries of a job's parts, when every part is done; nil while any is not.
    public func chunkSummaries(jobID: UUID) async throws -> [String]? {
        let rows = try await sql.select().column("state").column("summary_json").from(Self.chunksTable)
            .where("job_id", .equal, SQLBind(jobID)).orderBy("chunk").all()
        var summaries: [String] = []
        for row in rows {
            guard try row.decode(column: "state", as: String.self) == ChunkState.done.rawValue else { return nil }
            summaries.append(try row.decode(column: "summary_json", as: String?.self) ?? "{}")
        }
        return summaries
    }

    /// Marks a running job done with its summary, if every part is done; false when it is not running or a part is
    /// not done (so that of two servers finishing the last parts at once, one finishes the job).
    @discardableResult
    public func finishIfComplete(jobID: UUID, summaryJSON: String, at now: Date = Date()) async throws -> Bool {
        let rows = try await sql.raw(
            """
            UPDATE \(ident: ScreeningJobModel.schema) SET "status" = \(bind: ScreeningJob.Status.done.rawValue),
            "summary_json" = \(bind: summaryJSON), "total_lines" = "lines" + "errors", "finished_at" = \(bind: now),
            "heartbeat_at" = \(bind: now)
            WHERE "id" = \(bind: jobID) AND "status" = \(bind: ScreeningJob.Status.running.rawValue)
            AND NOT EXISTS (SELECT 1 FROM \(ident: Self.chunksTable) WHERE "job_id" = \(bind: jobID)
                AND "state" <> \(bind: ChunkState.done.rawValue))
            RETURNING "id"
            """
        ).all()
        return !rows.isEmpty
    }

    /// Running jobs whose parts are all done but which are not marked done (their server stopped between the last
    /// commit and finishing).
    public func unfinishedCompleteJobs() async throws -> [UUID] {
        try await sql.raw(
            """
            SELECT j."id" FROM \(ident: ScreeningJobModel.schema) j WHERE j."status" = \(bind: ScreeningJob.Status.running.rawValue)
            AND NOT EXISTS (SELECT 1 FROM \(ident: Self.chunksTable) c WHERE c."job_id" = j."id"
                AND c."state" <> \(bind: ChunkState.done.rawValue))
            """
        ).all().map { try $0.decode(column: "id", as: UUID.self) }
    }

    /// Deletes jobs whose upload stopped before it was complete (the client went away, or the server stopped while
    /// receiving): nothing of them was accepted. Returns how many.
    @discardableResult
    public func deleteAbandonedUploads(silentSince: Date) async throws -> Int {
        let abandoned = try await ScreeningJobModel.query(on: storage.database)
            .filter(\.$status == ScreeningJob.Status.receiving.rawValue).filter(\.$heartbeatAt < silentSince).all()
        for job in abandoned { try await delete(id: try job.requireID()) }
        return abandoned.count
    }

    /// Parts of queued and running jobs not yet done, and jobs waiting for them: the queue's depth.
    public func queueDepth() async throws -> (chunks: Int, jobs: Int) {
        let active: [any Encodable & Sendable] = [
            ScreeningJob.Status.queued.rawValue, ScreeningJob.Status.running.rawValue,
        ]
        let row = try await sql.raw(
            """
            SELECT COUNT(*) AS "chunks", COUNT(DISTINCT c."job_id") AS "jobs" FROM \(ident: Self.chunksTable) c
            JOIN \(ident: ScreeningJobModel.schema) j ON j."id" = c."job_id"
            WHERE j."status" IN (\(binds: active)) AND c."state" <> \(bind: ChunkState.done.rawValue)
            """
        ).first()
        return (try row?.decode(column: "chunks", as: Int.self) ?? 0, try row?.decode(column: "jobs", as: Int.self) ?? 0)
    }

    static func sql(_ db: any Database) throws -> any SQLDatabase {
        guard let sql = db as? any SQLDatabase else {
            throw StorageError(message: "screening jobs need an SQL database")
        }
        return sql
    }

    /// Multi-row INSERTs of lines and unreadable lines.
    static func insert(lines: [ScreeningJobLine], problems: [ScreeningJobProblem], jobID: UUID, sql: any SQLDatabase)
        async throws
    {
        for start in stride(from: 0, to: lines.count, by: rowsPerInsert) {
            var insert = sql.insert(into: linesTable).columns(
                "job_id", "line_number", "line_id", "lane", "risk_score", "regimes", "flags", "json", "csv")
            for line in lines[start..<min(start + rowsPerInsert, lines.count)] {
                insert = insert.values(
                    SQLBind(jobID), SQLBind(line.lineNumber), SQLBind(line.lineID), SQLBind(line.lane),
                    SQLBind(line.riskScore), SQLBind(list(line.regimes.map(\.rawValue))), SQLBind(list(line.flags)),
                    SQLBind(line.json), SQLBind(line.csv))
            }
            try await insert.run()
        }
        for start in stride(from: 0, to: problems.count, by: rowsPerInsert) {
            var insert = sql.insert(into: problemsTable).columns("job_id", "line_number", "message")
            for problem in problems[start..<min(start + rowsPerInsert, problems.count)] {
                insert = insert.values(
                    SQLBind(jobID), SQLBind(problem.lineNumber), SQLBind(String(problem.message.prefix(1_000))))
            }
            try await insert.run()
        }
    }
}
