import Foundation
import GreenCustomsCore
import Screening
import Storage
import Vapor

/// `/api/v1/screening-jobs`: whole declaration files (millions of lines) screened in the background for a national
/// system. The file is the request body (CSV with a header row, or JSON Lines); the answer is 202 with the job's
/// address; the job is polled until `done`, then its results are read as JSON Lines or CSV, all or filtered. The
/// same jobs as the screening page: only the account that sent a file sees its job.
struct JobsAPIController: RouteCollection {
    let maximumUpload: Int

    func boot(routes: any RoutesBuilder) throws {
        let jobs = routes.grouped("api", "v1", "screening-jobs")
        // Streamed: the file is cut into parts and stored as it arrives, never held whole.
        jobs.on(.POST, body: .stream, use: submit).userInfo[CSRFMiddleware.bodyLimitKey] = maximumUpload
        jobs.get(":id", use: show)
        jobs.get(":id", "results", use: results)
        jobs.get(":id", "problems", use: problems)
    }

    struct JobJSON: Encodable {
        var id: String
        var status: String
        var source: String
        var totalLines: Int
        var lines: Int
        var errors: Int
        var lanes: [String: Int]
        var referenceVersion: String
        var createdAt: Date
        var finishedAt: Date?
        var message: String?
        var results: String

        enum CodingKeys: String, CodingKey {
            case id, status, source, lines, errors, lanes, message, results
            case totalLines = "total_lines"
            case referenceVersion = "reference_version"
            case createdAt = "created_at"
            case finishedAt = "finished_at"
        }

        init(_ job: ScreeningJob) {
            let id = job.id.uuidString.lowercased()
            self.id = id
            status = job.status.rawValue
            source = job.source
            totalLines = job.totalLines
            lines = job.lines
            errors = job.errors
            lanes = ["green": job.green, "yellow": job.yellow, "red": job.red]
            referenceVersion = job.referenceVersion
            createdAt = job.createdAt
            finishedAt = job.finishedAt
            message = job.message
            results = "/api/v1/screening-jobs/\(id)/results"
        }
    }

    static func json(_ job: ScreeningJob, status: HTTPStatus = .ok) throws -> Response {
        let response = try APIController.json(JobJSON(job))
        response.status = status
        response.headers.cacheControl = .init(noStore: true)
        return response
    }

    /// `POST /api/v1/screening-jobs?name=manifest.csv` with the file as the body → 202 and `Location`, once the whole
    /// file is stored: from then on the job survives any server stopping. The caller's role and quota are checked
    /// before a byte of the body is read; the body is cut into parts and stored as it arrives.
    @Sendable func submit(request: Request) async throws -> Response {
        let account = try request.require(.screen)
        let services = request.services
        let length = request.headers.first(name: .contentLength).flatMap(Int.init)
        if let length, length > maximumUpload { throw Abort(.payloadTooLarge) }
        guard length != 0 else {
            throw Problem.invalid([.init(field: "body", message: "send the declaration file (CSV or JSON Lines)")])
        }
        let name = request.queryValue("name").map { String($0.prefix(200)) }
        let job: ScreeningJob
        do {
            job = try await services.receiveJob(
                owner: account.name, source: name.flatMap { $0.isEmpty ? nil : $0 } ?? "api upload",
                maximumBytes: maximumUpload, channel: "api", address: request.clientAddress, logger: request.logger
            ) { upload in
                for try await buffer in request.body { try await upload.add(buffer.readableBytesView) }
            }
        } catch let refusal as JobRefusal {
            switch refusal {
            case .blank: throw Problem.invalid([.init(field: "body", message: "the file holds no line")])
            case .unreadable(let message): throw Problem.invalid([.init(field: "body", message: message)])
            case .tooLarge: throw Abort(.payloadTooLarge)
            case .tooMany(let unfinished):
                throw Problem(
                    status: .tooManyRequests,
                    detail:
                        "This account already has \(unfinished) screening jobs not yet done; send the next file when one ends.",
                    instance: request.url.path)
            }
        }
        let response = try Self.json(job, status: .accepted)
        response.headers.replaceOrAdd(
            name: .location, value: "/api/v1/screening-jobs/\(job.id.uuidString.lowercased())")
        return response
    }

    /// The caller's job, or 404 (also for another account's job).
    static func ownJob(_ request: Request) async throws -> ScreeningJob {
        guard let job = try await request.ownScreeningJob("id") else {
            throw Problem(
                status: .notFound, detail: "You have no screening job with this id.", instance: request.url.path)
        }
        return job
    }

    /// `GET /api/v1/screening-jobs/{id}`
    @Sendable func show(request: Request) async throws -> Response {
        try Self.json(try await Self.ownJob(request))
    }

    /// `GET /api/v1/screening-jobs/{id}/results?format=jsonl&lane=red`: the results stored so far, in line order.
    @Sendable func results(request: Request) async throws -> Response {
        let job = try await Self.ownJob(request)
        let formatText = request.queryValue("format") ?? "jsonl"
        guard let format = ResultFormat(rawValue: formatText), format != .table else {
            throw Problem.invalid([.init(field: "format", message: "jsonl or csv")])
        }
        let (filter, unknown) = request.screeningJobFilter
        var errors = unknown.map { Problem.FieldError(field: $0.key, message: "unknown value \"\($0.value)\"") }
        if let line = request.queryValue("line"), line.count > 100 {
            errors.append(.init(field: "line", message: "at most 100 characters"))
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        return await request.downloadResults(of: job, format, filter: filter, channel: "api")
    }

    /// `GET /api/v1/screening-jobs/{id}/problems?after=0&limit=1000`: the file's unreadable lines, in line order,
    /// with what is wrong with each; `next` names the following page while there is one.
    @Sendable func problems(request: Request) async throws -> Response {
        let job = try await Self.ownJob(request)
        var errors: [Problem.FieldError] = []
        func integer(_ name: String, _ range: ClosedRange<Int>, default value: Int) -> Int {
            guard let text = request.queryValue(name) else { return value }
            guard let number = Int(text), range.contains(number) else {
                errors.append(.init(field: name, message: "a whole number from \(range.lowerBound) to \(range.upperBound)"))
                return value
            }
            return number
        }
        let after = integer("after", 0...Int(Int32.max), default: 0)
        let limit = integer("limit", 1...10_000, default: 1_000)
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let problems = try await request.services.jobs.problems(id: job.id, after: after, limit: limit + 1)
        struct Page: Encodable {
            struct Line: Encodable {
                var line: Int
                var message: String
            }
            var problems: [Line]
            var next: String?
        }
        let shown = problems.prefix(limit)
        let next = problems.count > limit
            ? "/api/v1/screening-jobs/\(job.id.uuidString.lowercased())/problems?after=\(shown.last?.lineNumber ?? after)&limit=\(limit)"
            : nil
        let response = try APIController.json(
            Page(problems: shown.map { .init(line: $0.lineNumber, message: $0.message) }, next: next))
        response.headers.cacheControl = .init(noStore: true)
        return response
    }
}
