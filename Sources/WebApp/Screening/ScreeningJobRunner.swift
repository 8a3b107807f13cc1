import Foundation
import GreenCustomsCore
import Screening
import Storage
import Vapor

/// Screens stored jobs part by part on every app server that shares the database. Each of a server's workers claims
/// the next part of any queued or running job (`ScreeningJobStore.claimChunk`, with a lease), screens it with the
/// job's header in front, and commits its lines, the job's counts and the part's summary in one transaction
/// (`commitChunk`), only while its lease holds. The worker that commits the last part finishes the job with the
/// merged summary.
///
/// A server that dies mid-part loses nothing: the part's lease lapses and any server (this one restarted, or
/// another) claims it again; what was committed stays committed. A server stopping gracefully gives its parts back
/// at once. A part claimed `maximumAttempts` times without being committed (one that brings servers down) fails its
/// job instead of going round for ever.
final class ScreeningJobRunner: Sendable {
    /// This server's name in leases: host, process and a random suffix, so that a restarted server is another worker.
    let worker: String
    /// Workers on this server (0: this server screens no job; another does).
    let concurrency: Int
    /// How long a claimed part is this server's before another may take it over.
    let lease: TimeInterval
    /// How often an idle worker looks for work (a job accepted on this server wakes them at once).
    let pollInterval: Duration
    static let maximumAttempts = 5

    private struct State: Sendable {
        var tasks: [Task<Void, Never>] = []
        /// Bumped by `wake()`; idle workers watch it.
        var wakes = 0
    }
    private let state = Locked(State())

    init(concurrency: Int, lease: TimeInterval, pollInterval: Duration) {
        self.concurrency = max(0, concurrency)
        self.lease = lease
        self.pollInterval = pollInterval
        let host = ProcessInfo.processInfo.hostName
        worker = "\(host.prefix(40))/\(getpid())/\(UUID().uuidString.prefix(8))"
    }

    /// Starts the workers.
    func start(services: WebServices, logger: Logger) {
        let tasks = (0..<concurrency).map { _ in
            Task.detached(priority: .utility) { await self.work(services: services, logger: logger) }
        }
        state.update { $0.tasks += tasks }
    }

    /// Tells idle workers there is work (a job was accepted here).
    func wake() { state.update { $0.wakes += 1 } }

    /// Stops the workers after the part each is screening (or at once, abandoning it) and gives this server's parts
    /// back, so that another server takes them over without waiting for their leases to lapse.
    func stopAll(services: WebServices, logger: Logger) async {
        let tasks = state.update { state in
            defer { state.tasks = [] }
            return state.tasks
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        do {
            let released = try await services.jobs.releaseChunks(worker: worker)
            if released > 0 { logger.info("gave back \(released) part(s) of screening jobs for another server") }
        } catch {
            logger.warning("parts of screening jobs not given back (their leases will lapse): \(error)")
        }
    }

    private func work(services: WebServices, logger: Logger) async {
        var scratch = ScreeningEngine.Scratch(remembering: false)
        while !Task.isCancelled {
            let seen = state.value.wakes
            do {
                let now = services.clock()
                if let claim = try await services.jobs.claimChunk(worker: worker, now: now, leaseUntil: now + lease) {
                    try await screen(claim, services: services, scratch: &scratch, logger: logger)
                    continue
                }
            } catch {
                logger.error("screening worker: \(String(reflecting: error))")
            }
            // Idle: wait for a wake-up or the next poll.
            let steps = max(1, Int(pollInterval / .milliseconds(50)))
            for _ in 0..<steps where !Task.isCancelled && state.value.wakes == seen {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Screens one claimed part and commits it; finishes the job after its last part.
    func screen(
        _ claim: ScreeningJobClaim, services: WebServices, scratch: inout ScreeningEngine.Scratch, logger: Logger
    ) async throws {
        let store = services.jobs
        if claim.attempts > Self.maximumAttempts {
            let message =
                "lines from \(claim.chunk.firstLine) could not be screened after \(Self.maximumAttempts) attempts"
            if try await store.fail(id: claim.jobID, message: message), let job = try await store.job(id: claim.jobID) {
                await Self.record(job, "failed: \(message)", services: services, logger: logger)
            }
            return
        }
        guard let input = try await store.input(jobID: claim.jobID) else { return }  // deleted meanwhile
        let engine = services.reference.engine
        var reader = DeclarationChunker.reader(
            format: DeclarationReader<MemorySource>.Format(rawValue: input.format) ?? .csv, header: input.header,
            headerLines: input.headerLines,
            chunk: DeclarationChunker.Chunk(
                firstLine: claim.chunk.firstLine, bytes: claim.chunk.bytes, tail: claim.chunk.tail,
                records: claim.chunk.records, errors: claim.chunk.errors))
        var summary = ScreeningSummary()
        var lines: [ScreeningJobLine] = []
        var problems: [ScreeningJobProblem] = []
        lines.reserveCapacity(claim.chunk.records)
        var json: [UInt8] = []
        var csv: [UInt8] = []
        while true {
            let batch = try reader.next(maximum: 2_000)
            if batch.isEmpty { break }
            for record in batch.records {
                let result = engine.screen(record, scratch: &scratch)
                summary.add(result)
                lines.append(Self.line(result, json: &json, csv: &csv))
            }
            summary.errors += batch.errors.count
            problems += batch.errors.map { ScreeningJobProblem(lineNumber: $0.lineNumber, message: $0.message) }
            await Task.yield()
        }
        summary.foldFlags()
        let result = ScreeningJobChunkResult(
            lines: lines, problems: problems, green: summary.lanes[.green] ?? 0, yellow: summary.lanes[.yellow] ?? 0,
            red: summary.lanes[.red] ?? 0, summaryJSON: summary.json)
        let committing = ContinuousClock.now
        guard try await store.commitChunk(claim, worker: worker, result: result, at: services.clock()) else {
            logger.info("part \(claim.chunk.number) of job \(claim.jobID) was taken over by another server")
            return
        }
        services.metrics.partCommit.record(ContinuousClock.now - committing)
        services.metrics.partsScreened.increment()
        services.metrics.linesScreened.increment(by: Int64(lines.count + problems.count))
        try await Self.finishIfComplete(claim.jobID, services: services, logger: logger)
    }

    /// Marks the job done with the merged summary of its parts, once every part is done (by whichever server gets
    /// there first; the others find it done).
    static func finishIfComplete(_ id: UUID, services: WebServices, logger: Logger) async throws {
        let store = services.jobs
        guard let parts = try await store.chunkSummaries(jobID: id), let job = try await store.job(id: id),
            job.status == .running
        else { return }
        var summary = ScreeningSummary()
        for part in parts { if let counts = ScreeningSummary(json: part) { summary.merge(counts) } }
        summary.referenceVersion = services.reference.engine.referenceVersion
        let now = services.clock()
        summary.seconds = max(0, now.timeIntervalSince(job.startedAt ?? job.createdAt))
        guard try await store.finishIfComplete(jobID: id, summaryJSON: summary.json, at: now) else { return }
        await record(
            job,
            "done: \(summary.lines) lines in \(job.chunks) part(s); "
                + Lane.allCases.map { "\($0.rawValue) \(summary.lanes[$0] ?? 0)" }.joined(separator: ", ")
                + (summary.errors > 0 ? "; \(summary.errors) unreadable" : ""),
            services: services, logger: logger)
    }

    /// A result as stored: clear lines keep only their id, the others their JSON Lines object and CSV row.
    static func line(_ r: ScreeningResult, json: inout [UInt8], csv: inout [UInt8]) -> ScreeningJobLine {
        var regimes: [Regime] = []
        for f in r.findings where !regimes.contains(f.regime) { regimes.append(f.regime) }
        var stored = ScreeningJobLine(
            lineNumber: r.lineNumber, lineID: r.lineID, lane: r.lane.rawValue, riskScore: r.riskScore,
            regimes: regimes, flags: r.flags.map(\.code.rawValue), json: nil, csv: nil)
        if !r.isClear {
            json.removeAll(keepingCapacity: true)
            csv.removeAll(keepingCapacity: true)
            ResultFormat.jsonl.write(r, into: &json)
            ResultFormat.csv.write(r, into: &csv)
            stored.json = String(decoding: json, as: UTF8.self)
            stored.csv = String(decoding: csv, as: UTF8.self)
        }
        return stored
    }

    /// A stored line in `format`, the same bytes `greencustoms screen` writes for it.
    static func output(
        _ line: ScreeningJobLine, _ format: ResultFormat, referenceVersion: String, into out: inout [UInt8]
    ) {
        switch (format, line.json, line.csv) {
        case (.jsonl, let json?, _): out += json.utf8
        case (.csv, _, let csv?): out += csv.utf8
        default:
            let clear = ScreeningResult(
                lineID: line.lineID, lineNumber: line.lineNumber, lane: .green, riskScore: 0, findings: [], flags: [],
                referenceVersion: referenceVersion)
            format.write(clear, into: &out)
        }
    }

    /// A job's results (all, or those `filter` lets through) as a CSV or JSON Lines file, the same bytes
    /// `greencustoms screen` writes, read from the database in runs of 5,000 lines while they are sent.
    static func download(
        _ job: ScreeningJob, _ format: ResultFormat, filter: ScreeningJobFilter, store: ScreeningJobStore,
        logger: Logger
    ) -> Response {
        var headers = HTTPHeaders()
        headers.contentType =
            format == .csv
            ? HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
            : HTTPMediaType(type: "application", subType: "jsonl", parameters: ["charset": "utf-8"])
        let base = (job.source as NSString).deletingPathExtension
        let name = String(
            base.unicodeScalars.map {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
                    ? Character($0) : "_"
            })
        headers.replaceOrAdd(
            name: .contentDisposition,
            value: "attachment; filename=\"\(name.isEmpty ? "results" : name)-results.\(format.rawValue)\"")
        headers.cacheControl = .init(noStore: true)
        let version = job.referenceVersion
        let body = Response.Body(asyncStream: { writer in
            do {
                var out = format.header
                var after = 0
                while true {
                    let lines = try await store.lines(id: job.id, filter: filter, after: after, limit: 5_000)
                    for line in lines {
                        ScreeningJobRunner.output(line, format, referenceVersion: version, into: &out)
                    }
                    if !out.isEmpty {
                        try await writer.write(.buffer(ByteBuffer(bytes: out)))
                        out.removeAll(keepingCapacity: true)
                    }
                    guard let last = lines.last, lines.count == 5_000 else { break }
                    after = last.lineNumber
                }
                try await writer.write(.end)
            } catch {
                logger.error("download of job \(job.id) stopped: \(String(reflecting: error))")
                try? await writer.write(.error(error))
            }
        })
        return Response(status: .ok, headers: headers, body: body)
    }

    static func record(_ job: ScreeningJob, _ detail: String, services: WebServices, logger: Logger) async {
        services.record(
            AuditEvent(
                at: Date(), actor: job.owner, action: .screening, target: String(job.source.prefix(200)),
                detail: "job \(job.id.uuidString): \(detail)"),
            logger: logger)
    }
}
