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
    /// The account already has this many jobs queued or running (`WebSettings.jobsPerAccount`).
    case tooMany(Int)
}

extension WebServices {
    /// Starts a job on `input` for `owner`: checks the account's quota and the input, stores the job, records it
    /// in the audit log (with `channel`, e.g. "api", when given) and queues it.
    func startScreeningJob(
        owner: String, source: String, input: [UInt8], channel: String? = nil, address: String, logger: Logger
    ) async throws -> ScreeningJob {
        guard !input.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            throw JobRefusal.blank
        }
        let reference = self.reference
        let job = ScreeningJob(
            owner: owner, source: source, totalLines: estimatedLines(input),
            referenceVersion: reference.engine.referenceVersion, createdAt: Date())
        // The quota is checked and the job stored in one step: concurrent requests cannot all pass the check.
        guard try await jobs.create(job, unlessUnfinishedAtLeast: settings.jobsPerAccount) else {
            throw JobRefusal.tooMany(settings.jobsPerAccount)
        }
        record(
            AuditEvent(
                at: Date(), actor: owner, action: .screening, target: String(source.prefix(200)),
                detail:
                    "job \(job.id.uuidString)\(channel.map { " (\($0))" } ?? ""): queued, \(input.count) bytes, about \(job.totalLines) lines",
                address: address),
            logger: logger)
        await runner.submit(job, input: input, reference: reference, services: self, logger: logger)
        return job
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

    /// The results filter in the query (`lane`, `regime`, `flag`, `line`), and the query keys whose values name no
    /// lane, agreement or flag (the page ignores them, the API refuses them).
    var screeningJobFilter: (filter: ScreeningJobFilter, unknown: [(key: String, value: String)]) {
        func value(_ key: String) -> String? {
            guard let v = try? query.get(String.self, at: key), !v.isEmpty else { return nil }
            return v
        }
        let filter = ScreeningJobFilter(
            lane: value("lane").flatMap(Lane.init(rawValue:))?.rawValue,
            regime: value("regime").flatMap(Regime.init(rawValue:)),
            flag: value("flag").flatMap(Flag.Code.init(rawValue:))?.rawValue,
            lineID: value("line").map { String($0.prefix(100)) })
        var unknown: [(key: String, value: String)] = []
        if let v = value("lane"), filter.lane == nil { unknown.append(("lane", v)) }
        if let v = value("regime"), filter.regime == nil { unknown.append(("regime", v)) }
        if let v = value("flag"), filter.flag == nil { unknown.append(("flag", v)) }
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
