import Foundation
import GreenCustomsCore
import Screening
import Storage
import Vapor

/// What the screening page and the API share about jobs: starting one, finding the caller's own, reading a filter
/// from the query, and sending the results.

/// Why a job was not started.
enum JobRefusal: Error {
    /// The input holds nothing but white space.
    case blank
    /// The account already has this many jobs not yet ended (`WebSettings.jobsPerAccount`).
    case tooMany(Int)
    /// The input is larger than the route takes.
    case tooLarge(Int)
    /// The input as a whole cannot be read (no usable header, say): the reader's message.
    case unreadable(String)
}

/// The bytes of a job's input as they arrive, cut into parts and stored as they are cut (`WebServices.receiveJob`).
final class JobUpload {
    let services: WebServices
    let jobID: UUID
    let maximumBytes: Int
    var chunker: DeclarationChunker
    var parts = 0
    var onlyWhiteSpace = true

    init(services: WebServices, jobID: UUID, maximumBytes: Int) {
        self.services = services
        self.jobID = jobID
        self.maximumBytes = maximumBytes
        chunker = DeclarationChunker(target: services.settings.jobChunkBytes)
    }

    /// Adds bytes; stores the parts they complete.
    func add(_ bytes: some Collection<UInt8>) async throws {
        guard chunker.receivedBytes + bytes.count <= maximumBytes else { throw JobRefusal.tooLarge(maximumBytes) }
        if onlyWhiteSpace { onlyWhiteSpace = bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 } }
        do { try await store(try chunker.append(bytes)) } catch let error as InputError {
            throw JobRefusal.unreadable(error.message)
        }
    }

    /// The input has ended: stores the last parts. A file of which no line at all can be read is refused (there
    /// is nothing to screen), naming its first unreadable line.
    func finish() async throws {
        guard !onlyWhiteSpace else { throw JobRefusal.blank }
        let last = try cutLast()
        if chunker.records == 0, chunker.errors > 0 {
            throw JobRefusal.unreadable(
                "none of its \(chunker.errors) line(s) can be read" + (firstProblem(last).map { " (\($0))" } ?? ""))
        }
        try await store(last)
    }

    private func cutLast() throws -> [DeclarationChunker.Chunk] {
        do { return try chunker.finish() } catch { throw JobRefusal.unreadable(error.message) }
    }

    /// The first unreadable line of a file stored in no part yet, as "line N: why".
    private func firstProblem(_ chunks: [DeclarationChunker.Chunk]) -> String? {
        guard parts == 0, let chunk = chunks.first else { return nil }
        var reader = chunker.reader(for: chunk)
        guard let batch = try? reader.next(maximum: 1), let error = batch.errors.first else { return nil }
        return "line \(error.lineNumber): \(error.message)"
    }

    private func store(_ cut: [DeclarationChunker.Chunk]) async throws {
        guard !cut.isEmpty else { return }
        let chunks = cut.enumerated().map { k, chunk in
            ScreeningJobChunk(
                number: parts + k, firstLine: chunk.firstLine, records: chunk.records, errors: chunk.errors,
                bytes: chunk.bytes, tail: chunk.tail)
        }
        parts += chunks.count
        try await services.jobs.addChunks(jobID: jobID, chunks, at: services.clock())
    }
}

extension WebServices {
    /// Receives a declaration file for `owner` and accepts it as a job: checks the account's quota (and stores the
    /// job as `receiving`, in one step), lets `read` hand over the bytes as they arrive (`JobUpload.add`), which are
    /// cut into parts and stored as they come, then accepts the job (`queued`) for any app server's workers, records
    /// it in the audit log (with `channel`, e.g. "api") and wakes this server's workers. Nothing is kept in memory
    /// but the part being cut. If anything goes wrong before the job is accepted (the input is unusable or too large,
    /// the client goes away), the job and what was stored of it are deleted.
    func receiveJob(
        owner: String, source: String, maximumBytes: Int, channel: String? = nil, address: String, logger: Logger,
        read: (JobUpload) async throws -> Void
    ) async throws -> ScreeningJob {
        let reference = self.reference
        let job = ScreeningJob(
            owner: owner, source: source, status: .receiving, totalLines: 0,
            referenceVersion: reference.engine.referenceVersion, createdAt: clock())
        // The quota is checked and the job stored in one step: concurrent requests cannot all pass the check.
        guard try await jobs.create(job, unlessUnfinishedAtLeast: settings.jobsPerAccount) else {
            throw JobRefusal.tooMany(settings.jobsPerAccount)
        }
        let upload = JobUpload(services: self, jobID: job.id, maximumBytes: maximumBytes)
        do {
            try await read(upload)
            try await upload.finish()
            let chunker = upload.chunker
            try await jobs.completeInput(
                jobID: job.id,
                input: ScreeningJobInput(
                    format: chunker.format?.rawValue ?? "csv", header: chunker.header, headerLines: chunker.headerLines),
                chunks: upload.parts, totalLines: chunker.records + chunker.errors,
                emptySummaryJSON: ScreeningSummary().json, at: clock())
        } catch {
            try? await jobs.delete(id: job.id)
            throw error
        }
        let accepted = try await jobs.job(id: job.id) ?? job
        record(
            AuditEvent(
                at: clock(), actor: owner, action: .screening, target: String(source.prefix(200)),
                detail:
                    "job \(job.id.uuidString)\(channel.map { " (\($0))" } ?? ""): queued, \(upload.chunker.receivedBytes) bytes, \(accepted.totalLines) lines in \(upload.parts) part(s)",
                address: address),
            logger: logger)
        runner.wake()
        return accepted
    }

    /// `receiveJob` for input already in memory (pasted lines).
    func receiveJob(
        owner: String, source: String, input: [UInt8], channel: String? = nil, address: String, logger: Logger
    ) async throws -> ScreeningJob {
        try await receiveJob(
            owner: owner, source: source, maximumBytes: settings.maximumUploadBytes, channel: channel,
            address: address, logger: logger
        ) { try await $0.add(input) }
    }
}

extension Request {
    /// The job named by the route parameter `parameter`, if the caller (who may screen) sent it; nil for a job that
    /// does not exist or is another account's, so that the answer says nothing of which.
    func ownScreeningJob(_ parameter: String) async throws -> ScreeningJob? {
        let account = try require(.screen)
        let id = parameters.get(parameter).flatMap(UUID.init(uuidString:))
        guard let id, let job = try await services.jobs.job(id: id), job.owner == account.name else {
            // Asking for a job that is not one's own (another account's, or none) is recorded: someone walking
            // through ids shows in the audit log. The answer stays a plain 404 either way.
            services.recordCounted(
                AuditEvent(
                    at: Date(), actor: account.name, action: .jobProbe,
                    target: route.map { "/" + $0.path.string } ?? String(url.path.prefix(200)),
                    detail: "asked for job \(parameters.get(parameter)?.prefix(40) ?? ""), not one of its own",
                    address: clientAddress),
                logger: logger)
            return nil
        }
        return job
    }

    /// The results filter in the query (`lane`, `regime`, `flag`, `line`), and the query keys given with a value that
    /// names no lane, agreement or flag, empty included (the page ignores them, the API refuses them).
    var screeningJobFilter: (filter: ScreeningJobFilter, unknown: [(key: String, value: String)]) {
        func value(_ key: String) -> String? {
            guard let v = queryValue(key), !v.isEmpty else { return nil }
            return v
        }
        let filter = ScreeningJobFilter(
            lane: value("lane").flatMap(Lane.init(rawValue:))?.rawValue,
            regime: value("regime").flatMap(Regime.init(rawValue:)),
            flag: value("flag").flatMap(Flag.Code.init(rawValue:))?.rawValue,
            lineID: value("line").map { String($0.prefix(100)) })
        var unknown: [(key: String, value: String)] = []
        if let v = queryValue("lane"), filter.lane == nil { unknown.append(("lane", v)) }
        if let v = queryValue("regime"), filter.regime == nil { unknown.append(("regime", v)) }
        if let v = queryValue("flag"), filter.flag == nil { unknown.append(("flag", v)) }
        return (filter, unknown)
    }

    /// Records the download of `job`'s results in the audit log and sends them (see
    /// `ScreeningJobRunner.download`).
    func downloadResults(
        of job: ScreeningJob, _ format: ResultFormat, filter: ScreeningJobFilter, channel: String? = nil
    ) async -> Response {
        services.record(
            AuditEvent(
                at: Date(), actor: job.owner, action: .resultsDownloaded, target: String(job.source.prefix(200)),
                detail: "job \(job.id.uuidString) as \(format.rawValue)\(channel.map { " (\($0))" } ?? "")"
                    + (filter.isEmpty ? "" : ", filtered: \(filter.queryString)"),
                address: clientAddress),
            logger: logger)
        return ScreeningJobRunner.download(job, format, filter: filter, store: services.jobs, logger: logger)
    }
}

extension ScreeningJobFilter {
    /// The filter as a query string (without `?`), for links that keep it.
    var queryString: String {
        var items: [URLQueryItem] = []
        if let lane { items.append(URLQueryItem(name: "lane", value: lane)) }
        if let regime { items.append(URLQueryItem(name: "regime", value: regime.rawValue)) }
        if let flag { items.append(URLQueryItem(name: "flag", value: flag)) }
        if let lineID { items.append(URLQueryItem(name: "line", value: lineID)) }
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }
}
