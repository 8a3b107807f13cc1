import Foundation
import Prometheus
import Storage
import Vapor

/// What the app reports to Prometheus at `GET /metrics` (swift-prometheus): requests by route, method and status with
/// their latency, screening work done on this server, the job queue shared by every server, and how long the
/// database takes to answer. Routes are named by their pattern (`/api/v1/screening-jobs/:id`), never by the path
/// asked for, so that the number of series stays fixed whatever clients send.
final class AppMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
    ]
    /// Counters and histograms already made, by their labels: a request looks its series up here, under a lock,
    /// without building a label array.
    private let requests = Locked<[RequestKey: (Counter, DurationHistogram)]>([:])
    let linesScreened: Counter
    let partsScreened: Counter
    let partCommit: DurationHistogram
    let queueParts: Gauge
    let queueJobs: Gauge
    let databasePing: DurationHistogram
    let databaseUp: Gauge

    struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: UInt
    }

    init() {
        linesScreened = registry.makeCounter(
            descriptor: .init(
                namespace: "greencustoms", metricName: "job_lines_screened", unitName: "total",
                helpText: "Declaration lines of screening jobs screened by this server (rate() gives lines per second)"))
        partsScreened = registry.makeCounter(
            descriptor: .init(
                namespace: "greencustoms", metricName: "job_parts_screened", unitName: "total",
                helpText: "Parts of screening jobs screened and committed by this server"))
        partCommit = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "greencustoms", metricName: "job_part_commit", unitName: "seconds",
                helpText: "Time to store one screened part of a job (lines, counts and state in one transaction)"),
            buckets: Self.latencyBuckets)
        queueParts = registry.makeGauge(
            descriptor: .init(
                namespace: "greencustoms", metricName: "job_queue_parts", unitName: "count",
                helpText: "Parts of queued or running jobs not yet screened, on every server sharing the database"))
        queueJobs = registry.makeGauge(
            descriptor: .init(
                namespace: "greencustoms", metricName: "job_queue_jobs", unitName: "count",
                helpText: "Jobs with parts waiting, on every server sharing the database"))
        databasePing = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "greencustoms", metricName: "database_ping", unitName: "seconds",
                helpText: "Time the database takes to answer a trivial query, measured at each scrape"),
            buckets: Self.latencyBuckets)
        databaseUp = registry.makeGauge(
            descriptor: .init(
                namespace: "greencustoms", metricName: "database_up", unitName: "bool",
                helpText: "1 when the database answered the last scrape's query within a second, else 0"))
    }

    /// Counts a request and its latency.
    func record(route: String, method: HTTPMethod, status: HTTPResponseStatus, duration: Duration) {
        let key = RequestKey(route: route, method: method.rawValue, status: status.code)
        let series = requests.update { made in
            if let series = made[key] { return series }
            let labels = [("route", route), ("method", key.method), ("status", String(status.code))]
            let series = (
                registry.makeCounter(
                    descriptor: .init(
                        namespace: "greencustoms", metricName: "http_requests", unitName: "total",
                        helpText: "HTTP requests answered, by route pattern, method and status"), labels: labels),
                registry.makeDurationHistogram(
                    descriptor: .init(
                        namespace: "greencustoms", metricName: "http_request_duration", unitName: "seconds",
                        helpText: "Time from a request's arrival to its answer, by route pattern, method and status"),
                    labels: labels, buckets: Self.latencyBuckets)
            )
            made[key] = series
            return series
        }
        series.0.increment()
        series.1.record(duration)
    }

    /// The exposition text, after measuring what is read at scrape time (the queue, the database).
    func scrape(_ services: WebServices) async -> [UInt8] {
        let started = ContinuousClock.now
        let health = await services.storage.health()
        databasePing.record(ContinuousClock.now - started)
        databaseUp.set(to: health == .ok ? 1.0 : 0.0)
        if health == .ok, let depth = try? await services.jobs.queueDepth() {
            queueParts.set(to: Double(depth.chunks))
            queueJobs.set(to: Double(depth.jobs))
        }
        return registry.emitToBuffer()
    }
}

/// Times every request, counts it by route pattern, method and status (`AppMetrics`), and answers with the request's
/// id in `X-Request-Id`, the id every log line of the request carries (`request-id`), so that a client's report can
/// be found in the logs.
struct MetricsMiddleware: Middleware {
    let metrics: AppMetrics

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let started = ContinuousClock.now
        return next.respond(to: request).map { response in
            let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
            metrics.record(
                route: route, method: request.method, status: response.status, duration: ContinuousClock.now - started)
            response.headers.replaceOrAdd(name: "X-Request-Id", value: request.id)
            return response
        }
    }
}

extension WebServices {
    /// `GET /metrics`: for Prometheus. With `WebSettings.metricsToken` set, only a request with that bearer token;
    /// without it, only from this machine (loopback), since the figures describe the service's use.
    func metricsResponse(_ request: Request) async throws -> Response {
        if let token = settings.metricsToken {
            guard let sent = BearerTokenMiddleware.bearerToken(request.headers), Secrets.constantTimeEqual(sent, token)
            else { throw Abort(.unauthorized, headers: ["WWW-Authenticate": "Bearer"]) }
        } else {
            guard let address = request.remoteAddress?.ipAddress, address == "127.0.0.1" || address == "::1" else {
                throw Abort(.forbidden, reason: "set METRICS_TOKEN to read the metrics from another machine")
            }
        }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        headers.cacheControl = .init(noStore: true)
        return Response(status: .ok, headers: headers, body: .init(data: Data(await metrics.scrape(self))))
    }
}
