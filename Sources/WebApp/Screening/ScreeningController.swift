import Foundation
import GreenCustomsCore
import Screening
import Storage
import Vapor

/// Screening in the browser. A pasted text or an uploaded file becomes a background job; its page shows a progress
/// bar while it runs (refreshed by the page's script, or by the page reloading itself without JavaScript), then the
/// results with filters, pages of 100 lines and downloads as CSV or JSON Lines. Jobs are seen only by the account
/// that sent them.
struct ScreeningController: RouteCollection {
    static let perPage = 100
    /// The largest upload, in bytes.
    let maximumUpload: Int

    func boot(routes: any RoutesBuilder) throws {
        routes.get("screen", use: form)
        // Streamed: the form is read part by part and the file stored as it arrives (the route checks the form's
        // token itself, before the file's first byte is kept).
        let submit = routes.on(.POST, "screen", body: .stream, use: submit)
        submit.userInfo[CSRFMiddleware.checkedByRouteKey] = true
        submit.userInfo[CSRFMiddleware.bodyLimitKey] = maximumUpload
        let job = routes.grouped("screen", "jobs", ":job")
        job.get(use: show)
        job.get("progress", use: progress)
        job.get("results.csv") { try await download($0, .csv) }
        job.get("results.jsonl") { try await download($0, .jsonl) }
        job.post("delete", use: delete)
    }

    // MARK: The form and the list of jobs

    struct JobRow: Encodable {
        var id: String
        var source: String
        var created: String
        var status: String
        var statusName: String
        var linesText: String
    }

    struct FormContext: Encodable {
        var jobs: [JobRow]
        var maximum: String
    }

    @Sendable func form(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .screen) { return redirect }
        let account = try request.require(.screen)
        let jobs = try await request.services.jobs.jobs(owner: account.name, limit: 50)
        return try await request.page(
            "screen", title: request.t("screen_title"),
            FormContext(
                jobs: jobs.map { Self.row($0, request) },
                maximum: ByteCountFormatter.string(
                    fromByteCount: Int64(request.services.settings.maximumUploadBytes), countStyle: .binary))
        ).encodeResponse(for: request)
    }

    static func row(_ job: ScreeningJob, _ request: Request) -> JobRow {
        JobRow(
            id: job.id.uuidString.lowercased(), source: job.source, created: request.dateTime(job.createdAt),
            status: job.status.rawValue, statusName: request.t("job_" + job.status.rawValue),
            linesText: request.t(
                "screen_summary",
                [
                    "lines": request.number(job.lines), "green": request.number(job.green),
                    "yellow": request.number(job.yellow), "red": request.number(job.red),
                ]))
    }

    /// `POST /screen`: takes the pasted lines or the file, starts a job and sends the browser to its page. The form
    /// is read as it arrives: its `_csrf` field (the first) is checked before any of the file is kept, and the file is
    /// cut into parts and stored while it uploads, never held whole.
    @Sendable func submit(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .screen) { return redirect }
        let account = try request.require(.screen)
        let services = request.services
        let limit = maximumUpload
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > limit + (1 << 20) {
            throw Abort(.payloadTooLarge, reason: Self.tooLarge(request, limit))
        }
        guard let form = MultipartFormStream(request) else {
            // A form without a file (urlencoded): small, read whole.
            struct Form: Decodable { var text: String? }
            _ = try await request.body.collect(max: Self.fieldLimit).get()
            guard CSRFMiddleware.isValid(CSRFMiddleware.sentToken(request), for: request) else {
                throw CSRFMiddleware.refuse(request)
            }
            let text = (try? request.content.decode(Form.self))?.text ?? ""
            let job = try await Self.start(request, account) {
                try await services.receiveJob(
                    owner: account.name, source: "pasted lines", input: Array(text.utf8),
                    address: request.clientAddress, logger: request.logger)
            }
            return Self.redirect(request, to: job)
        }
        var checked = false
        var current: (name: String, filename: String?)?
        var fields: [String: [UInt8]] = [:]
        var job: ScreeningJob?
        while job == nil, let event = try await form.nextEvent() {
            switch event {
            case .part(let name, let filename): current = (name, filename)
            case .bytes(let bytes) where current?.name == "file" && !bytes.isEmpty:
                // The file begins: only after the form's token was seen and is right.
                guard checked else { throw CSRFMiddleware.refuse(request) }
                let name = current?.filename.flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } ?? "upload"
                job = try await Self.start(request, account) {
                    try await services.receiveJob(
                        owner: account.name, source: name, maximumBytes: limit, address: request.clientAddress,
                        logger: request.logger
                    ) { upload in
                        try await upload.add(bytes)
                        while let event = try await form.nextEvent(), case .bytes(let more) = event {
                            try await upload.add(more)
                        }
                        // The rest of the form (fields after the file) is read and left.
                        while try await form.nextEvent() != nil {}
                    }
                }
            case .bytes(let bytes):
                let name = current?.name ?? ""
                guard fields.values.reduce(0, { $0 + $1.count }) + bytes.count <= Self.fieldLimit else {
                    throw Abort(.payloadTooLarge, reason: Self.tooLarge(request, Self.fieldLimit))
                }
                fields[name, default: []] += bytes
            case .end:
                if current?.name == CSRFMiddleware.field {
                    checked = CSRFMiddleware.isValid(
                        fields[CSRFMiddleware.field].map { String(decoding: $0, as: UTF8.self) }, for: request)
                }
                current = nil
            }
        }
        if job == nil {
            guard checked else { throw CSRFMiddleware.refuse(request) }
            job = try await Self.start(request, account) {
                try await services.receiveJob(
                    owner: account.name, source: "pasted lines", input: fields["text"] ?? [],
                    address: request.clientAddress, logger: request.logger)
            }
        }
        guard let job else { throw Abort(.internalServerError) }
        return Self.redirect(request, to: job)
    }

    static func redirect(_ request: Request, to job: ScreeningJob) -> Response {
        request.redirect(to: "/screen/jobs/\(job.id.uuidString.lowercased())", redirectType: .normal)
    }

    /// The most the form's other fields (the pasted lines) may hold, in bytes.
    static let fieldLimit = 16 << 20

    /// Runs `receive`, turning a refusal into the page's error.
    static func start(_ request: Request, _ account: UserAccount, _ receive: () async throws -> ScreeningJob)
        async throws -> ScreeningJob
    {
        do { return try await receive() } catch let refusal as JobRefusal {
            switch refusal {
            case .blank: throw Abort(.unprocessableEntity, reason: request.t("screen_empty"))
            case .tooMany(let unfinished):
                throw Abort(.tooManyRequests, reason: request.t("jobs_too_many", ["count": request.number(unfinished)]))
            case .tooLarge(let limit):
                request.recordBodyTooLarge(limit: limit)
                throw Abort(.payloadTooLarge, reason: tooLarge(request, limit))
            case .unreadable(let message):
                throw Abort(.unprocessableEntity, reason: request.t("screen_unreadable", ["message": message]))
            }
        }
    }

    static func tooLarge(_ request: Request, _ limit: Int) -> String {
        request.t(
            "screen_too_large",
            ["size": ByteCountFormatter.string(fromByteCount: Int64(limit), countStyle: .binary)])
    }

    // MARK: A job

    /// The job, if the caller may see it (its owner); 404 otherwise, saying nothing of whether it exists.
    static func ownJob(_ request: Request) async throws -> ScreeningJob {
        guard let job = try await request.ownScreeningJob("job") else { throw Abort(.notFound) }
        return job
    }

    struct Option: Encodable {
        var value: String
        var name: String
        var count: String
        var selected: Bool
    }

    struct Row: Encodable {
        var number: String
        var lineID: String
        var lane: String
        var laneName: String
        var score: Int
        var findings: [String]
        var flags: [String]
    }

    struct JobContext: Encodable {
        var job: JobRow
        var running: Bool
        var failed: String?
        var percent: Int
        var progressText: String
        var lanes: [Option]
        var regimes: [Option]
        var flags: [Option]
        var line: String
        var rows: [Row]
        var shownText: String
        var previous: String?
        var next: String?
        var filterQuery: String
        var filtered: Bool
        var problems: [String]
        var problemsMore: String?
    }

    @Sendable func show(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .screen) { return redirect }
        let job = try await Self.ownJob(request)
        let store = request.services.jobs
        let filter = request.screeningJobFilter.filter
        let page = min(max(1, (try? request.query.get(Int.self, at: "page")) ?? 1), 100_000)
        let total = filter.isEmpty ? job.lines : try await store.count(id: job.id, filter: filter)
        let lines = try await store.lines(
            id: job.id, filter: filter, limit: Self.perPage, offset: (page - 1) * Self.perPage)
        // Flag counts come from the summary, once done; lines per agreement are counted by filtering (the summary
        // counts only certain and likely findings).
        let summary = job.summaryJSON.flatMap { try? JSONDecoder().decode(SummaryJSON.self, from: Data($0.utf8)) }
        let laneCounts = [Lane.green: job.green, .yellow: job.yellow, .red: job.red]
        let filterQuery = filter.queryString
        func pageLink(_ n: Int) -> String {
            "/screen/jobs/\(job.id.uuidString.lowercased())?" + (filterQuery.isEmpty ? "" : filterQuery + "&")
                + "page=\(n)"
        }
        let problems = job.errors > 0 ? try await store.problems(id: job.id, limit: 100) : []
        let context = JobContext(
            job: Self.row(job, request), running: !job.isFinished,
            failed: job.status == .failed ? (job.message ?? "") : nil, percent: Int(job.progress * 100),
            progressText: request.t(
                "job_progress",
                ["done": request.number(job.lines + job.errors), "total": request.number(job.totalLines)]),
            lanes: Lane.allCases.reversed().map {
                Option(
                    value: $0.rawValue, name: request.t("lane_" + $0.rawValue),
                    count: request.number(laneCounts[$0] ?? 0), selected: filter.lane == $0.rawValue)
            },
            regimes: Regime.allCases.map { regime in
                Option(
                    value: regime.rawValue, name: request.regimeTitle(regime),
                    count: "", selected: filter.regime == regime)
            },
            flags: Flag.Code.allCases.map { code in
                Option(
                    value: code.rawValue, name: code.rawValue.replacingOccurrences(of: "_", with: " "),
                    count: summary.map { request.number($0.flags[code.rawValue] ?? 0) } ?? "",
                    selected: filter.flag == code.rawValue)
            }, line: filter.lineID ?? "",
            rows: lines.map { Self.display($0, request) },
            shownText: request.t(
                "job_shown",
                [
                    "from": request.number(lines.isEmpty ? 0 : (page - 1) * Self.perPage + 1),
                    "to": request.number((page - 1) * Self.perPage + lines.count), "total": request.number(total),
                ]),
            previous: page > 1 ? pageLink(page - 1) : nil,
            next: page * Self.perPage < total ? pageLink(page + 1) : nil, filterQuery: filterQuery,
            filtered: !filter.isEmpty,
            problems: problems.map {
                request.t("line_error", ["line": request.number($0.lineNumber), "message": $0.message])
            },
            problemsMore: job.errors > problems.count
                ? request.t("job_problems_more", ["count": request.number(job.errors - problems.count)]) : nil)
        return try await request.page(
            "screen-job", title: request.t("job_title", ["source": job.source]), refresh: !job.isFinished, context
        ).encodeResponse(for: request)
    }

    /// The summary's parts the job page shows.
    struct SummaryJSON: Decodable {
        var flags: [String: Int]
    }

    /// The parts of a stored result the table shows.
    struct StoredResult: Decodable {
        struct Finding: Decodable {
            var regime: String
            var certainty: String
            var basis: String
            var item: String
            var evidence: String
            var explanation: String?
            var requirements: [String]
        }
        struct Flag: Decodable {
            var message: String
        }
        var findings: [Finding]
        var flags: [Flag]
    }

    static func display(_ line: ScreeningJobLine, _ request: Request) -> Row {
        var row = Row(
            number: request.number(line.lineNumber), lineID: line.lineID, lane: line.lane,
            laneName: request.t("lane_" + line.lane), score: line.riskScore, findings: [], flags: [])
        if let json = line.json, let result = try? JSONDecoder().decode(StoredResult.self, from: Data(json.utf8)) {
            row.findings = result.findings.map { f in
                let regime = Regime(rawValue: f.regime).map { request.regimeTitle($0) } ?? f.regime
                var text = "\(regime): \(f.item) — \(f.certainty), \(f.basis) “\(f.evidence)”"
                if let e = f.explanation { text += ". " + e }
                if !f.requirements.isEmpty { text += " [" + f.requirements.joined(separator: "; ") + "]" }
                return text
            }
            row.flags = result.flags.map(\.message)
        }
        return row
    }

    /// `GET /screen/jobs/{id}/progress`: the job's state as JSON, for the progress bar's script.
    @Sendable func progress(request: Request) async throws -> Response {
        let job = try await Self.ownJob(request)
        struct State: Encodable {
            var status: String
            var statusName: String
            var lines: Int
            var errors: Int
            var total: Int
            var percent: Int
            var text: String
        }
        let state = State(
            status: job.status.rawValue, statusName: request.t("job_" + job.status.rawValue), lines: job.lines,
            errors: job.errors, total: job.totalLines, percent: Int(job.progress * 100),
            text: request.t(
                "job_progress",
                ["done": request.number(job.lines + job.errors), "total": request.number(job.totalLines)]))
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.cacheControl = .init(noStore: true)
        return Response(status: .ok, headers: headers, body: .init(data: try JSONEncoder().encode(state)))
    }

    /// The results (all, or those the query's filter lets through) as a CSV or JSON Lines file, the same bytes
    /// `greencustoms screen` writes, read from the database in runs of 5,000 lines while they are sent.
    func download(_ request: Request, _ format: ResultFormat) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .screen) { return redirect }
        let job = try await Self.ownJob(request)
        return await request.downloadResults(of: job, format, filter: request.screeningJobFilter.filter)
    }

    /// `POST /screen/jobs/{id}/delete`: deletes the job and its results (a running job is deleted when it ends).
    @Sendable func delete(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .screen) { return redirect }
        let account = try request.require(.screen)
        let job = try await Self.ownJob(request)
        guard job.isFinished else { throw Abort(.conflict, reason: request.t("job_delete_running")) }
        try await request.services.jobs.delete(id: job.id)
        request.services.record(
            AuditEvent(
                at: Date(), actor: account.name, action: .screeningDeleted, target: String(job.source.prefix(200)),
                detail: "job \(job.id.uuidString)", address: request.clientAddress),
            logger: request.logger)
        return request.redirect(to: "/screen", redirectType: .normal)
    }
}
