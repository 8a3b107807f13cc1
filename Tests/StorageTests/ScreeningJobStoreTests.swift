import Foundation
import GreenCustomsCore
import Testing

@testable import Storage

/// Screening jobs and their lines on every database (in-memory SQLite, a file, and PostgreSQL when
/// `POSTGRES_TEST_URL` names a server).
@Suite("Screening job store", .serialized)
struct ScreeningJobStoreTests {
    static func clear(_ storage: StorageDatabase) async throws {
        for job in try await ScreeningJobModel.query(on: storage.database).all() {
            try await ScreeningJobStore(storage: storage).delete(id: try job.requireID())
        }
    }

    static func line(_ n: Int, _ id: String, _ lane: String, regimes: [Regime] = [], flags: [String] = [])
        -> ScreeningJobLine
    {
        let clear = lane == "green" && regimes.isEmpty && flags.isEmpty
        return ScreeningJobLine(
            lineNumber: n, lineID: id, lane: lane, riskScore: clear ? 0 : 50, regimes: regimes, flags: flags,
            json: clear ? nil : "{\"line_id\":\"\(id)\"}\n", csv: clear ? nil : "\(id),\(lane)\n")
    }

    @Test(
        "Twenty concurrent jobs from one account: exactly the quota is stored, whatever the interleaving",
        arguments: ReferenceStoreTests.locations)
    func quotaRace(location: DatabaseLocation) async throws {
        try await ReferenceStoreTests.withDatabase(location, clear: Self.clear) { storage in
            let store = ScreeningJobStore(storage: storage)
            let t0 = Date(timeIntervalSince1970: 1_760_000_000)
            let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<20 {
                    group.addTask {
                        try await store.create(
                            ScreeningJob(
                                owner: "amina", source: "f\(n).csv", totalLines: 10, referenceVersion: "v1",
                                createdAt: t0),
                            unlessUnfinishedAtLeast: 3)
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(accepted == 3)
            #expect(try await store.unfinishedCount(owner: "amina") == 3)
            // Another account has its own quota.
            #expect(
                try await store.create(
                    ScreeningJob(owner: "li", source: "g.csv", totalLines: 1, referenceVersion: "v1", createdAt: t0),
                    unlessUnfinishedAtLeast: 3))
        }
    }

    /// A job accepted with `parts` parts of `linesPerPart` lines each (the bytes are not read here).
    static func acceptedJob(
        _ store: ScreeningJobStore, owner: String = "amina", parts: Int, linesPerPart: Int, at t0: Date
    ) async throws -> ScreeningJob {
        let job = ScreeningJob(
            owner: owner, source: "m.csv", status: .receiving, totalLines: 0, referenceVersion: "v1", createdAt: t0)
        #expect(try await store.create(job, unlessUnfinishedAtLeast: 100))
        try await store.addChunks(
            jobID: job.id,
            (0..<parts).map {
                ScreeningJobChunk(
                    number: $0, firstLine: 2 + $0 * linesPerPart, records: linesPerPart, errors: 0,
                    bytes: Array("part \($0)\n".utf8), tail: $0 == 1 ? [1, 2, 3] : [])
            }, at: t0)
        #expect(try await store.job(id: job.id)?.status == .receiving)
        #expect(try await store.claimChunk(worker: "w", now: t0, leaseUntil: t0 + 30) == nil, "not yet accepted")
        #expect(
            try await store.completeInput(
                jobID: job.id, input: ScreeningJobInput(format: "csv", header: Array("line_id,description\n".utf8), headerLines: 1),
                chunks: parts, totalLines: parts * linesPerPart, emptySummaryJSON: "{}", at: t0))
        return try #require(try await store.job(id: job.id))
    }

    static func result(_ lines: [ScreeningJobLine], problems: [ScreeningJobProblem] = []) -> ScreeningJobChunkResult {
        ScreeningJobChunkResult(
            lines: lines, problems: problems, green: lines.count { $0.lane == "green" },
            yellow: lines.count { $0.lane == "yellow" }, red: lines.count { $0.lane == "red" },
            summaryJSON: #"{"lines":\#(lines.count)}"#)
    }

    @Test(
        "Parts are claimed in order with a lease, committed once, and the job finishes once",
        arguments: ReferenceStoreTests.locations)
    func leases(location: DatabaseLocation) async throws {
        try await ReferenceStoreTests.withDatabase(location, clear: Self.clear) { storage in
            let store = ScreeningJobStore(storage: storage)
            let t0 = Date(timeIntervalSince1970: 1_760_000_000)
            let job = try await Self.acceptedJob(store, parts: 2, linesPerPart: 3, at: t0)
            #expect(job.status == .queued && job.chunks == 2 && job.totalLines == 6)
            #expect(try await store.input(jobID: job.id)?.headerLines == 1)
            let a = try #require(try await store.claimChunk(worker: "A", now: t0, leaseUntil: t0 + 30))
            #expect(a.chunk.number == 0 && a.chunk.bytes == Array("part 0\n".utf8) && a.attempts == 1)
            #expect(try await store.job(id: job.id)?.status == .running)
            let b = try #require(try await store.claimChunk(worker: "B", now: t0 + 1, leaseUntil: t0 + 31))
            #expect(b.chunk.number == 1 && b.chunk.tail == [1, 2, 3])
            #expect(try await store.claimChunk(worker: "C", now: t0 + 2, leaseUntil: t0 + 32) == nil)
            // A's server dies; its lease lapses and C takes the part over.
            let c = try #require(try await store.claimChunk(worker: "C", now: t0 + 40, leaseUntil: t0 + 70))
            #expect(c.chunk.number == 0 && c.attempts == 2)
            let lines0 = (2...4).map { Self.line($0, "L\($0)", $0 == 3 ? "red" : "green") }
            #expect(try await !store.commitChunk(a, worker: "A", result: Self.result(lines0)), "A lost its lease")
            #expect(try await store.commitChunk(c, worker: "C", result: Self.result(lines0)))
            #expect(try await store.chunkSummaries(jobID: job.id) == nil, "part 1 is not done")
            #expect(try await !store.finishIfComplete(jobID: job.id, summaryJSON: "{}"))
            let lines1 = (5...7).map { Self.line($0, "L\($0)", "green") }
            #expect(
                try await store.commitChunk(
                    b, worker: "B", result: Self.result(lines1, problems: [.init(lineNumber: 8, message: "bad")])))
            #expect(try await !store.commitChunk(b, worker: "B", result: Self.result(lines1)), "committed once")
            #expect(try await store.chunkSummaries(jobID: job.id) == [#"{"lines":3}"#, #"{"lines":3}"#])
            #expect(try await store.unfinishedCompleteJobs() == [job.id])
            #expect(try await store.finishIfComplete(jobID: job.id, summaryJSON: #"{"lines":6}"#, at: t0 + 50))
            #expect(try await !store.finishIfComplete(jobID: job.id, summaryJSON: "{}"), "finished once")
            #expect(try await !store.fail(id: job.id, message: "too late"), "a done job does not fail afterwards")
            let done = try #require(try await store.job(id: job.id))
            #expect(done.status == .done && done.lines == 6 && done.errors == 1 && done.red == 1 && done.green == 5)
            #expect(done.totalLines == 7 && done.summaryJSON == #"{"lines":6}"# && done.finishedAt == t0 + 50)
            #expect(try await store.lines(id: job.id, filter: .init(), limit: 10).map(\.lineNumber) == Array(2...7))
            #expect(try await store.unfinishedCompleteJobs().isEmpty)
        }
    }

    @Test(
        "Two workers claiming at once from many parts each get different parts; a stopping server gives its back",
        arguments: ReferenceStoreTests.locations)
    func concurrentClaims(location: DatabaseLocation) async throws {
        try await ReferenceStoreTests.withDatabase(location, clear: Self.clear) { storage in
            let store = ScreeningJobStore(storage: storage)
            let t0 = Date(timeIntervalSince1970: 1_760_000_000)
            let job = try await Self.acceptedJob(store, parts: 40, linesPerPart: 1, at: t0)
            let claimed = try await withThrowingTaskGroup(of: [Int].self) { group in
                for worker in ["A", "B", "C", "D"] {
                    group.addTask {
                        var mine: [Int] = []
                        while let claim = try await store.claimChunk(worker: worker, now: t0, leaseUntil: t0 + 60) {
                            mine.append(claim.chunk.number)
                            if mine.count == 10 { break }
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(claimed.sorted() == Array(0..<40))
            #expect(try await store.queueDepth() == (chunks: 40, jobs: 1))
            #expect(try await store.releaseChunks(worker: "A") == 10)
            let again = try #require(try await store.claimChunk(worker: "E", now: t0 + 1, leaseUntil: t0 + 60))
            #expect(again.attempts == 2)
            #expect(try await store.fail(id: job.id, message: "stopped"))
            #expect(try await store.claimChunk(worker: "E", now: t0 + 1, leaseUntil: t0 + 60) == nil, "a failed job's parts are not claimed")
        }
    }


    @Test(
        "Jobs: lines read in order, filtered, paged and deleted; uploads left unfinished deleted, old jobs too",
        arguments: ReferenceStoreTests.locations)
    func lines(location: DatabaseLocation) async throws {
        try await ReferenceStoreTests.withDatabase(location, clear: Self.clear) { storage in
            let store = ScreeningJobStore(storage: storage)
            let t0 = Date(timeIntervalSince1970: 1_760_000_000)
            let job = try await Self.acceptedJob(store, parts: 2, linesPerPart: 600, at: t0)
            var all: [ScreeningJobLine] = []
            for n in 2...1_201 {
                let lane = n % 100 == 0 ? "red" : n % 10 == 0 ? "yellow" : "green"
                let regimes: [Regime] = lane == "red" ? [.cites, .basel] : lane == "yellow" ? [.montreal] : []
                all.append(
                    Self.line(
                        n, n == 500 ? "X_50%" : "L\(n)", lane, regimes: regimes,
                        flags: lane == "red" ? ["missing_permit"] : []))
            }
            // 1,200 lines in two parts (more than one INSERT each), and an unreadable line.
            for (k, slice) in [all[..<600], all[600...]].enumerated() {
                let claim = try #require(try await store.claimChunk(worker: "w", now: t0, leaseUntil: t0 + 30))
                #expect(claim.chunk.number == k)
                let problems = k == 0 ? [ScreeningJobProblem(lineNumber: 1_202, message: "no id")] : []
                #expect(try await store.commitChunk(claim, worker: "w", result: Self.result(Array(slice), problems: problems)))
                #expect(try await store.job(id: job.id)?.lines == 600 * (k + 1))
            }
            #expect(try await store.finishIfComplete(jobID: job.id, summaryJSON: "{}", at: t0 + 5))
            let done = try #require(try await store.job(id: job.id))
            #expect(done.status == .done && done.totalLines == 1_201 && done.progress == 1 && done.finishedAt == t0 + 5)

            #expect(try await store.lines(id: job.id, filter: .init(), limit: 1_000, offset: 0) == Array(all[..<1_000]))
            #expect(
                try await store.lines(id: job.id, filter: .init(), limit: 5, offset: 1_198).map(\.lineNumber) == [
                    1_200, 1_201,
                ])
            #expect(try await store.count(id: job.id, filter: .init(lane: "red")) == 12)
            #expect(try await store.count(id: job.id, filter: .init(regime: .cites)) == 12)
            #expect(try await store.count(id: job.id, filter: .init(regime: .montreal)) == 108)
            #expect(try await store.count(id: job.id, filter: .init(lane: "yellow", regime: .cites)) == 0)
            #expect(try await store.count(id: job.id, filter: .init(flag: "missing_permit")) == 12)
            #expect(try await store.count(id: job.id, filter: .init(lineID: "L12")) == 13)  // L12, L120–L129, L1200, L1201
            #expect(
                try await store.lines(id: job.id, filter: .init(lineID: "_50%"), limit: 10).map(\.lineID) == ["X_50%"])
            #expect(try await store.count(id: job.id, filter: .init(lineID: "%")) == 1)
            #expect(
                try await store.lines(id: job.id, filter: .init(lane: "red"), after: 600, limit: 3).map(\.lineNumber)
                    == [700, 800, 900])
            #expect(try await store.problems(id: job.id, limit: 10) == [.init(lineNumber: 1_202, message: "no id")])
            #expect(try await store.jobs(owner: "amina").map(\.id) == [job.id])
            #expect(try await store.jobs(owner: "li").isEmpty)

            // An upload that stopped half-way, and one still arriving.
            let stopped = ScreeningJob(
                owner: "amina", source: "s", status: .receiving, totalLines: 0, referenceVersion: "v", createdAt: t0)
            let arriving = ScreeningJob(
                owner: "amina", source: "a", status: .receiving, totalLines: 0, referenceVersion: "v", createdAt: t0,
                heartbeatAt: t0 + 590)
            for upload in [stopped, arriving] { #expect(try await store.create(upload, unlessUnfinishedAtLeast: 3)) }
            try await store.addChunks(jobID: stopped.id, [ScreeningJobChunk(number: 0, firstLine: 2, records: 1, errors: 0, bytes: [65])], at: t0)
            #expect(try await store.deleteAbandonedUploads(silentSince: t0 + 300) == 1)
            #expect(try await store.job(id: stopped.id) == nil)
            #expect(try await store.job(id: arriving.id)?.status == .receiving)
            #expect(try await store.deleteFinished(before: t0 + 6) == 1)
            #expect(try await store.job(id: job.id) == nil)
            #expect(try await store.count(id: job.id, filter: .init()) == 0)
            #expect(try await store.problems(id: job.id, limit: 10).isEmpty)
        }
    }
}
