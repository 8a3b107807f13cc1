import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Screening
import Testing
import VaporTesting

@testable import WebApp

/// Screening in the browser: files become background jobs whose pages, filters and downloads only their owner sees.
@Suite("Screening jobs in the browser")
struct ScreeningJobTests {
    /// Lines with something for most lanes and agreements, an id that needs quoting in CSV, and an unreadable last
    /// line (line 8 of the file).
    static let file = """
        line_id,description,hs_code,cas_number,species,direction,origin,destination
        A-1,Refrigerant R-22 in cylinders,2903.71,,,import,CN,GH
        A-2,cotton T-shirts,6109.10,,,import,CN,GH
        A-3,ivory carvings,9601.10,,,export,KE,CN
        "A,4",used lead-acid batteries,8548.10,,,export,US,GH
        A-5,live plants,0602.90,,Dendrobium nobile,import,TH,DE
        A-6,office chairs,9401.30,,,import,CN,GH
        A-7,"a quote that never closes,9401.30,,,import,CN,GH

        """

    @Test("A file is screened in the background; its page, filters and downloads give the command line's results")
    func screenFile() async throws {
        try await WebHarness.run { web in
            try await web.account("analyst1", role: .analyst)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("analyst1")
            _ = try await browser.get("/screen")
            let submitted = try await browser.postFile(
                "/screen", field: "file", filename: "manifest.csv", content: Array(Self.file.utf8))
            #expect(submitted.status == .seeOther)
            let page = try await browser.finishedJob(submitted)
            let location = submitted.headers.first(name: .location) ?? ""
            #expect(page.status == .ok)
            #expect(page.body.string.contains("manifest.csv"))
            #expect(page.body.string.contains("HCFC-22"))
            #expect(page.body.string.contains("Line 8:"), "the unreadable line is listed with its number")
            #expect(!page.body.string.contains("<progress"), "a finished job shows no progress bar")
            #expect(page.body.readableBytes < 100_000)

            // The downloads are byte for byte what `greencustoms screen` writes for the same file.
            let engine = web.services.reference.engine
            for format in [ResultFormat.csv, .jsonl] {
                var expected: [UInt8] = []
                _ = try BatchScreener(engine: engine, format: format, threads: 1).run(
                    MemorySource(Self.file), write: { expected += $0 }, reportError: { _ in })
                let download = try await browser.get(location + "/results." + format.rawValue)
                #expect(download.status == .ok)
                #expect(Array(download.body.readableBytesView) == expected, "\(format) download")
                #expect(download.headers.first(name: .contentDisposition)?.contains("manifest-results") == true)
            }

            // Filters: by lane, by agreement, by part of the line id; the download keeps the filter.
            let red = try await browser.get(location + "?lane=red")
            #expect(red.body.string.contains("A-3") && !red.body.string.contains(">A-2<"))
            let montreal = try await browser.get(location + "?regime=montreal")
            #expect(montreal.body.string.contains(">A-1<") && !montreal.body.string.contains(">A-3<"))
            let byID = try await browser.get(location + "?line=A%2C4")
            #expect(byID.body.string.contains("A,4") && !byID.body.string.contains(">A-1<"))
            let wildcard = try await browser.get(location + "?line=%25")
            #expect(wildcard.body.string.contains("Lines 0–0 of 0"), "LIKE wildcards in the filter are literal")
            let filtered = try await browser.get(location + "/results.csv?lane=green")
            let rows = filtered.body.string.split(separator: "\n")
            #expect(rows.first == "line_id,lane,risk_score,regimes,findings,flags")
            #expect(rows.dropFirst().allSatisfy { $0.contains(",green,") } && rows.count >= 3)

            // The list of the account's screenings links to it.
            let list = try await browser.get("/screen")
            #expect(list.body.string.contains(location))

            // The audit log has the submission, the end of the job and the download.
            let audit = await web.services.auditLog()
            #expect(try await audit.count(actor: "analyst1", action: .screening) == 2)
            #expect(try await audit.count(actor: "analyst1", action: .resultsDownloaded) == 3)
        }
    }

    @Test("Another account cannot see, download or delete a job; the owner can delete it")
    func ownership() async throws {
        try await WebHarness.run { web in
            try await web.account("analyst1", role: .analyst)
            try await web.account("analyst2", role: .analyst)
            try await web.account("root", role: .admin)
            let owner = WebHarness.Browser(web)
            try await owner.signIn("analyst1")
            _ = try await owner.get("/screen")
            let submitted = try await owner.post("/screen", form: [("text", "line_id,description\n1,R-22\n")])
            _ = try await owner.finishedJob(submitted)
            let location = submitted.headers.first(name: .location) ?? ""
            for name in ["analyst2", "root"] {
                let other = WebHarness.Browser(web)
                try await other.signIn(name)
                _ = try await other.get("/screen")
                #expect(try await other.get(location).status == .notFound)
                #expect(try await other.get(location + "/results.csv").status == .notFound)
                #expect(try await other.get(location + "/progress").status == .notFound)
                #expect(try await other.post(location + "/delete", form: []).status == .notFound)
                #expect(!(try await other.get("/screen")).body.string.contains(location))
            }
            #expect(try await web.send(.GET, location).status == .seeOther, "anonymous: sent to sign in")
            #expect(try await owner.post(location + "/delete", form: [], csrf: false).status == .forbidden)
            #expect(try await owner.post(location + "/delete", form: []).status == .seeOther)
            #expect(try await owner.get(location).status == .notFound)
            #expect(try await (await web.services.auditLog()).count(action: .screeningDeleted) == 1)
        }
    }

    @Test("A role that may not screen cannot start a job", arguments: Role.allCases.filter { !$0.may(.screen) })
    func roles(role: Role) async throws {
        try await WebHarness.run { web in
            try await web.account("someone", role: role)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("someone")
            _ = try await browser.get("/")
            let refused = try await browser.post("/screen", form: [("text", "line_id,description\n1,R-22\n")])
            #expect(refused.status == .forbidden)
            #expect(try await web.services.jobs.jobs(owner: "someone").isEmpty)
        }
    }

    @Test("An upload over the limit is refused with 413 and starts nothing")
    func tooLarge() async throws {
        try await WebHarness.run(settings: WebSettings(maximumUploadBytes: 2048)) { web in
            try await web.account("analyst1", role: .analyst)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("analyst1")
            _ = try await browser.get("/screen")
            let big = Array(("line_id,description\n" + String(repeating: "1,R-22\n", count: 1000)).utf8)
            let refused = try await browser.postFile("/screen", field: "file", filename: "big.csv", content: big)
            #expect(refused.status == .payloadTooLarge)
            #expect(try await web.services.jobs.jobs(owner: "analyst1").isEmpty)
        }
    }

    @Test("A file without a usable header is refused at once with the reason; nothing is kept")
    func unusableInput() async throws {
        try await WebHarness.run { web in
            try await web.account("analyst1", role: .analyst)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("analyst1")
            _ = try await browser.get("/screen")
            let refused = try await browser.post("/screen", form: [("text", "colour,size\nred,big\n")])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.string.contains("line_id"), "the reason names the missing column")
            let file = try await browser.postFile(
                "/screen", field: "file", filename: "bad.csv", content: Array("[]".utf8))
            #expect(file.status == .unprocessableEntity)
            #expect(try await web.services.jobs.jobs(owner: "analyst1").isEmpty)
        }
    }

    @Test("Housekeeping deletes uploads cut off half-way, finishes jobs left complete, deletes old finished ones")
    func housekeeping() async throws {
        try await WebHarness.run(settings: WebSettings(jobRetention: 3600)) { web in
            let jobs = web.services.jobs
            let long = Date() - 7200
            let cutOff = ScreeningJob(
                owner: "a", source: "x.csv", status: .receiving, totalLines: 0, referenceVersion: "v", createdAt: long)
            var old = ScreeningJob(owner: "a", source: "y.csv", totalLines: 1, referenceVersion: "v", createdAt: long)
            old.status = .done
            old.finishedAt = long
            let fresh = ScreeningJob(
                owner: "a", source: "z.csv", status: .receiving, totalLines: 0, referenceVersion: "v",
                createdAt: Date())
            for job in [cutOff, old, fresh] { try await jobs.create(job) }
            await web.services.maintain(logger: web.app.logger)
            #expect(try await jobs.job(id: cutOff.id) == nil)
            #expect(try await jobs.job(id: old.id) == nil)
            #expect(try await jobs.job(id: fresh.id)?.status == .receiving)
        }
    }

    /// `count` generated declaration lines, about a third of them controlled.
    static func generatedFile(_ count: Int) -> String {
        var text = "line_id,description,hs_code,direction,origin,destination\n"
        let goods = [
            "R-22 refrigerant,2903.71", "cotton t-shirts,6109.10", "pangolin scales,0508.00",
            "\"office chairs, steel\",9401.30", "used lead-acid batteries,8548.10", "mobile phones,8517.13",
        ]
        for n in 0..<count { text += "L\(n),\(goods[n % goods.count]),import,CN,GH\n" }
        return text
    }

    @Test("Two app servers on one database share a job; one dies holding a part, the other takes it over; no line lost")
    func sharedAndResumed() async throws {
        // Server A only accepts (no workers); a third "server" claims one part and dies; server B screens the rest
        // and, once the dead one's short lease lapses, its part too.
        let settings = WebSettings(concurrentJobs: 0, jobLease: 1, jobPollInterval: .milliseconds(100), jobChunkBytes: 4_096)
        try await WebHarness.run(settings: settings) { web in
            let token = try await web.account("analyst1", role: .analyst)
            let file = Self.generatedFile(3_000)
            let accepted = try await web.send(
                .POST, "/api/v1/screening-jobs?name=big.csv",
                headers: [("Content-Type", "text/csv"), ("Authorization", "Bearer \(token)")], body: file)
            #expect(accepted.status == .accepted)
            let id = try #require(UUID(uuidString: accepted.json["id"] as? String ?? ""))
            let queued = try #require(try await web.services.jobs.job(id: id))
            #expect(queued.status == .queued && queued.chunks > 10 && queued.totalLines == 3_000)
            let dead = try #require(
                try await web.services.jobs.claimChunk(worker: "dead", now: Date(), leaseUntil: Date() + 1))
            #expect(dead.chunk.number == 0)
            var bSettings = settings
            bSettings.concurrentJobs = 2
            let serverB = WebServices(storage: web.services.storage, reference: Fixtures.bundled.set, settings: bSettings)
            serverB.startWorkers(logger: web.app.logger)
            var job = queued
            for _ in 0..<300 where !job.isFinished {
                try await Task.sleep(for: .milliseconds(50))
                job = try #require(try await web.services.jobs.job(id: id))
            }
            await serverB.runner.stopAll(services: serverB, logger: web.app.logger)
            _ = await serverB.auditLog()
            #expect(job.status == .done && job.lines == 3_000 && job.totalLines == 3_000)
            // The dead server comes back too late: its part was taken over, its commit is refused.
            let late = ScreeningJobChunkResult(lines: [], problems: [], green: 0, yellow: 0, red: 0, summaryJSON: "{}")
            #expect(try await !web.services.jobs.commitChunk(dead, worker: "dead", result: late))
            // Every line once, as the command line screens the file.
            var expected: [UInt8] = []
            _ = try BatchScreener(engine: web.services.reference.engine, format: .csv, threads: 1).run(
                MemorySource(file), write: { expected += $0 }, reportError: { _ in })
            let download = try await web.send(
                .GET, "/api/v1/screening-jobs/\(id.uuidString)/results?format=csv",
                headers: [("Authorization", "Bearer \(token)")])
            #expect(Array(download.body.readableBytesView) == expected)
            let summary = try #require(job.summaryJSON.flatMap(ScreeningSummary.init(json:)))
            #expect(summary.lines == 3_000 && summary.lanes[.red] ?? 0 > 0)
        }
    }

    @Test("The API takes a whole file as a job: 202 and Location, polled, results as the command line's; owner only")
    func apiJobs() async throws {
        try await WebHarness.run { web in
            let analyst = try await web.account("analyst1", role: .analyst)
            let other = try await web.account("analyst2", role: .analyst)
            let trainer = try await web.account("trainer1", role: .trainer)
            func post(_ token: String?, _ body: String) async throws -> TestingHTTPResponse {
                var headers = [("Content-Type", "text/csv")]
                if let token { headers.append(("Authorization", "Bearer \(token)")) }
                return try await web.send(
                    .POST, "/api/v1/screening-jobs?name=manifest.csv", headers: headers, body: body)
            }
            func get(_ token: String, _ path: String) async throws -> TestingHTTPResponse {
                try await web.send(.GET, path, headers: [("Authorization", "Bearer \(token)")])
            }
            #expect(try await post(nil, Self.file).status == .unauthorized)
            #expect(try await post(trainer, Self.file).status == .forbidden)
            let empty = try await post(analyst, "\n")
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.headers.contentType?.description.contains("problem+json") == true)

            let accepted = try await post(analyst, Self.file)
            #expect(accepted.status == .accepted)
            let location = try #require(accepted.headers.first(name: .location))
            #expect(accepted.json["source"] as? String == "manifest.csv")
            var state: [String: Any] = [:]
            for _ in 0..<200 {
                state = try await get(analyst, location).json
                if state["status"] as? String == "done" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(state["status"] as? String == "done")
            #expect(state["lines"] as? Int == 6 && state["errors"] as? Int == 1)

            let engine = web.services.reference.engine
            for format in [ResultFormat.jsonl, .csv] {
                var expected: [UInt8] = []
                _ = try BatchScreener(engine: engine, format: format, threads: 1).run(
                    MemorySource(Self.file), write: { expected += $0 }, reportError: { _ in })
                let results = try await get(analyst, location + "/results?format=" + format.rawValue)
                #expect(results.status == .ok)
                #expect(Array(results.body.readableBytesView) == expected, "\(format)")
            }
            let red = try await get(analyst, location + "/results?lane=red")
            #expect(
                !red.body.string.isEmpty
                    && red.body.string.split(separator: "\n").allSatisfy { $0.contains(#""lane":"red""#) })
            #expect(try await get(analyst, location + "/results?format=table").status == .unprocessableEntity)
            #expect(try await get(analyst, location + "/results?lane=purple").status == .unprocessableEntity)
            #expect(try await get(other, location).status == .notFound)
            #expect(try await get(other, location + "/results").status == .notFound)
        }
    }

    @Test("An account with its quota of unfinished jobs is told to wait (429), on the page and in the API")
    func quota() async throws {
        try await WebHarness.run(settings: WebSettings(jobsPerAccount: 1)) { web in
            let token = try await web.account("analyst1", role: .analyst)
            let waiting = ScreeningJob(
                owner: "analyst1", source: "big.csv", totalLines: 1, referenceVersion: "v", createdAt: Date())
            try await web.services.jobs.create(waiting)
            let browser = WebHarness.Browser(web)
            try await browser.signIn("analyst1")
            _ = try await browser.get("/screen")
            let page = try await browser.post("/screen", form: [("text", "line_id,description\n1,R-22\n")])
            #expect(page.status == .tooManyRequests)
            let api = try await web.send(
                .POST, "/api/v1/screening-jobs", headers: [("Authorization", "Bearer \(token)")],
                body: "line_id,description\n1,R-22\n")
            #expect(api.status == .tooManyRequests)
            #expect(try await web.services.jobs.jobs(owner: "analyst1").count == 1)
        }
    }
}
