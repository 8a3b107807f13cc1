import Foundation
import GreenCustomsCore
import Screening
import Storage
import Vapor

/// Runs screening jobs in the background, a few at a time, on the server that accepted the file. Each job reads its
/// input in batches of 2,000 lines; each batch's results and the job's counts are stored in one transaction, so the
/// job page (on any app server sharing the database) shows progress as it goes, and what is shown is kept if the
/// server stops halfway (the job is then marked failed, see `WebServices.maintain`).
actor ScreeningJobRunner {
    /// Jobs run at once; the others wait their turn.
    let concurrency: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// The jobs in progress, for shutting down.
    private var tasks: [UUID: Task<Void, Never>] = [:]
    static let batchLines = 2_000
    static let stoppedMessage = "the server stopped before the job was done; screen the file again"

    init(concurrency: Int = 2) { self.concurrency = max(1, concurrency) }

    /// Starts `job` on `input` with `reference`, as soon as a worker is free.
    func submit(
        _ job: ScreeningJob, input: [UInt8], reference: WebServices.ReferenceState, services: WebServices,
        logger: Logger
    ) {
        let task = Task.detached(priority: .utility) {
            await self.acquire()
            guard !Task.isCancelled else {
                try? await services.jobs.fail(id: job.id, message: Self.stoppedMessage)
                await self.release(job.id)
                return
            }
            await Self.run(job, input: input, engine: reference.engine, services: services, logger: logger)
            await self.release(job.id)
        }
        tasks[job.id] = task
    }

    /// Stops every job in progress after its current batch (each is marked failed, with what it stored kept) and
    /// waits for them: a server shutting down does not wait for a million-line file.
    func stopAll() async {
        for task in tasks.values { task.cancel() }
        for task in tasks.values { await task.value }
    }

    private func acquire() async {
        if running < concurrency {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release(_ id: UUID) {
        tasks[id] = nil
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    /// Screens the whole input, storing results batch by batch.
    static func run(
        _ job: ScreeningJob, input: [UInt8], engine: ScreeningEngine, services: WebServices, logger: Logger
    ) async {
        let store = services.jobs
        let started = ContinuousClock.now
        do {
            try await store.start(id: job.id)
            var reader = DeclarationReader(source: MemorySource(input))
            var scratch = ScreeningEngine.Scratch(remembering: input.count >= 1 << 20)
            var summary = ScreeningSummary()
            var progress = job
            var json: [UInt8] = []
            var csv: [UInt8] = []
            while true {
                let batch: DeclarationReader<MemorySource>.Batch
                do { batch = try reader.next(maximum: batchLines) } catch {
                    // The input as a whole is unusable (no usable header, say): nothing more can be read.
                    try await store.fail(id: job.id, message: error.description)
                    await record(job, "failed: \(error.description)", services: services, logger: logger)
                    return
                }
                if batch.isEmpty { break }
                if Task.isCancelled {
                    try await store.fail(id: job.id, message: stoppedMessage)
                    await record(
                        job, "stopped with the server after \(summary.lines) lines", services: services, logger: logger)
                    return
                }
                var lines: [ScreeningJobLine] = []
                lines.reserveCapacity(batch.records.count)
                for record in batch.records {
                    let result = engine.screen(record, scratch: &scratch)
                    summary.add(result)
                    lines.append(line(result, json: &json, csv: &csv))
                }
                summary.errors += batch.errors.count
                progress.lines = summary.lines
                progress.errors = summary.errors
                progress.green = summary.lanes[.green] ?? 0
                progress.yellow = summary.lanes[.yellow] ?? 0
                progress.red = summary.lanes[.red] ?? 0
                try await store.append(
                    id: job.id, lines: lines,
                    problems: batch.errors.map { ScreeningJobProblem(lineNumber: $0.lineNumber, message: $0.message) },
                    progress: progress)
            }
            summary.foldFlags()
            summary.referenceVersion = engine.referenceVersion
            let elapsed = ContinuousClock.now - started
            summary.seconds =
                Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            try await store.finish(id: job.id, summaryJSON: summary.json, lines: summary.lines, errors: summary.errors)
            await record(
                job,
                "done: \(summary.lines) lines; "
                    + Lane.allCases.map { "\($0.rawValue) \(summary.lanes[$0] ?? 0)" }.joined(separator: ", ")
                    + (summary.errors > 0 ? "; \(summary.errors) unreadable" : ""),
                services: services, logger: logger)
        } catch {
            logger.error("screening job \(job.id) failed: \(String(reflecting: error))")
            try? await store.fail(id: job.id, message: "the results could not be stored; screen the file again")
            await record(job, "failed: results not stored", services: services, logger: logger)
        }
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

/// Lines in a declaration file, counted from its line breaks (less the header of a CSV file), for the progress bar
/// until the job has read it all.
func estimatedLines(_ input: [UInt8]) -> Int {
    var count = 0
    input.withUnsafeBufferPointer { bytes in
        for b in bytes where b == 0x0A { count += 1 }
    }
    if let last = input.last, last != 0x0A { count += 1 }
    let first = input.first {
        $0 != 0x20 && $0 != 0x09 && $0 != 0x0D && $0 != 0x0A && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF
    }
    if first != UInt8(ascii: "{") { count -= 1 }
    return max(count, 0)
}
