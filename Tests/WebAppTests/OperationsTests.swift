import Foundation
import GreenCustomsCore
import Logging
import Testing
import VaporTesting

@testable import WebApp

@Suite("Operations")
struct OperationsTests {
    @Test("/metrics: requests by route pattern, the job queue and lines screened, the database; token required")
    func metrics() async throws {
        try await WebHarness.run(settings: WebSettings(metricsToken: "scrape-secret")) { web in
            let token = try await web.account("analyst1", role: .analyst)
            let lookup = try await web.send(.GET, "/lookup?q=R-22")
            #expect(lookup.headers.first(name: "X-Request-Id")?.isEmpty == false)
            _ = try await web.send(.GET, "/items/montreal:hcfc-22")
            let job = try await web.send(
                .POST, "/api/v1/screening-jobs",
                headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "text/csv")],
                body: "line_id,description\n1,R-22\n2,cotton shirts\n")
            let id = job.json["id"] as? String ?? ""
            for _ in 0..<200 {
                let state = try await web.send(
                    .GET, "/api/v1/screening-jobs/\(id)", headers: [("Authorization", "Bearer \(token)")])
                if state.json["status"] as? String == "done" { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(try await web.send(.GET, "/metrics").status == .unauthorized)
            #expect(
                try await web.send(.GET, "/metrics", headers: [("Authorization", "Bearer wrong")]).status
                    == .unauthorized)
            let scrape = try await web.send(.GET, "/metrics", headers: [("Authorization", "Bearer scrape-secret")])
            #expect(scrape.status == .ok)
            let text = scrape.body.string
            #expect(text.contains(#"greencustoms_http_requests_total{route="/lookup",method="GET",status="200"} 1"#))
            #expect(text.contains(#"route="/items/:id""#), "routes by pattern, not by path")
            #expect(!text.contains("hcfc-22"))
            #expect(text.contains("greencustoms_job_lines_screened_total 2"))
            #expect(text.contains("greencustoms_job_queue_parts_count 0"))
            #expect(text.contains("greencustoms_database_up_bool 1"))
            #expect(text.contains("greencustoms_http_request_duration_seconds_bucket"))
        }
    }

    @Test("JSON logs: one object a line, with the request id apart and other metadata kept")
    func jsonLogs() throws {
        let lines = Locked<[String]>([])
        var handler = JSONLogHandler(label: "greencustoms.test", level: .info) { line in lines.update { $0.append(line) } }
        handler.metadata["server"] = "a"
        let logger = Logger(label: "greencustoms.test") { _ in handler }
        logger.info("job \"x\" done\nnext line", metadata: ["request-id": "R1", "lines": "12"])
        logger.debug("not shown")
        #expect(lines.value.count == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(lines.value[0].utf8)) as? [String: Any])
        #expect(object["message"] as? String == "job \"x\" done\nnext line")
        #expect(object["level"] as? String == "info" && object["request_id"] as? String == "R1")
        #expect((object["metadata"] as? [String: String]) == ["lines": "12", "server": "a"])
        #expect((object["time"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        #expect(!lines.value[0].contains("\n"))
    }
}
