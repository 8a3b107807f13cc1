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

    @Test(
        "Jobs: lines stored in batches, read in order, filtered, paged and deleted",
        arguments: ReferenceStoreTests.locations)
    func lines(location: DatabaseLocation) async throws {
        try await ReferenceStoreTests.withDatabase(location, clear: Self.clear) { storage in
            let store = ScreeningJobStore(storage: storage)
            let t0 = Date(timeIntervalSince1970: 1_760_000_000)
            var job = ScreeningJob(
                owner: "amina", source: "m.csv", totalLines: 1_300, referenceVersion: "v1", createdAt: t0)
            try await store.create(job)
            try await store.start(id: job.id, at: t0 + 1)
            #expect(try await store.job(id: job.id)?.status == .running)

            // 1,200 lines in two batches (more than one INSERT each), and two unreadable lines.
            var all: [ScreeningJobLine] = []
            for n in 2...1_201 {
                let lane = n % 100 == 0 ? "red" : n % 10 == 0 ? "yellow" : "green"
                let regimes: [Regime] = lane == "red" ? [.cites, .basel] : lane == "yellow" ? [.montreal] : []
                all.append(
                    Self.line(
                        n, n == 500 ? "X_50%" : "L\(n)", lane, regimes: regimes,
                        flags: lane == "red" ? ["missing_permit"] : []))
            }
            job.lines = 600
            try await store.append(
                id: job.id, lines: Array(all[..<600]), problems: [.init(lineNumber: 1_202, message: "no id")],
                progress: job)
            #expect(try await store.job(id: job.id)?.lines == 600)
            job.lines = 1_200
            job.errors = 1
            try await store.append(id: job.id, lines: Array(all[600...]), problems: [], progress: job)
            try await store.finish(id: job.id, summaryJSON: "{}", lines: 1_200, errors: 1, at: t0 + 5)
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

            try await store.delete(id: job.id)
            #expect(try await store.job(id: job.id) == nil)
            #expect(try await store.count(id: job.id, filter: .init()) == 0)
            #expect(try await store.problems(id: job.id, limit: 10).isEmpty)
        }
    }

    @Test("Abandoned jobs are failed, old finished jobs deleted", arguments: ReferenceStoreTests.locations)
    func housekeeping(location: DatabaseLocation) async throws {
        try await ReferenceStoreTests.withDatabase(location, clear: Self.clear) { storage in
            let store = ScreeningJobStore(storage: storage)
            let t0 = Date(timeIntervalSince1970: 1_760_000_000)
            let silent = ScreeningJob(
                owner: "a", source: "s", status: .running, totalLines: 5, referenceVersion: "v", createdAt: t0)
            let alive = ScreeningJob(
                owner: "a", source: "a", status: .running, totalLines: 5, referenceVersion: "v", createdAt: t0,
                heartbeatAt: t0 + 590)
            var finished = ScreeningJob(owner: "a", source: "f", totalLines: 5, referenceVersion: "v", createdAt: t0)
            finished.status = .done
            finished.finishedAt = t0
            for job in [silent, alive, finished] { try await store.create(job) }
            try await store.append(
                id: finished.id, lines: [Self.line(2, "x", "green")], problems: [], progress: finished)
            #expect(try await store.failAbandoned(silentSince: t0 + 480, message: "stopped", at: t0 + 600) == 1)
            #expect(try await store.job(id: silent.id)?.status == .failed)
            #expect(try await store.job(id: silent.id)?.message == "stopped")
            #expect(try await store.job(id: alive.id)?.status == .running)
            #expect(try await store.deleteFinished(before: t0 + 601) == 2)
            #expect(try await store.job(id: finished.id) == nil)
            #expect(try await store.job(id: silent.id) == nil)
            #expect(try await store.count(id: finished.id, filter: .init()) == 0)
            #expect(try await store.job(id: alive.id) != nil)
        }
    }
}
