import FluentKit
import SQLKit

/// 005: screening jobs (files screened in the background), their lines and their unreadable lines.
struct CreateScreeningJobs: AsyncMigration {
    var name: String { "005_CreateScreeningJobs" }

    func prepare(on database: any Database) async throws {
        try await database.schema(ScreeningJobModel.schema)
            .id()
            .field("owner", .string, .required)
            .field("source", .string, .required)
            .field("status", .string, .required)
            .field("total_lines", .int64, .required)
            .field("lines", .int64, .required)
            .field("errors", .int64, .required)
            .field("green", .int64, .required)
            .field("yellow", .int64, .required)
            .field("red", .int64, .required)
            .field("summary_json", .string)
            .field("message", .string)
            .field("reference_version", .string, .required)
            .field("created_at", .datetime, .required)
            .field("started_at", .datetime)
            .field("finished_at", .datetime)
            .field("heartbeat_at", .datetime, .required)
            .create()
        // The lines are written and read with SQL of their own (thousands a second), keyed by job and line number.
        try await database.schema(ScreeningJobStore.linesTable)
            .field("job_id", .uuid, .required, .references(ScreeningJobModel.schema, "id", onDelete: .cascade))
            .field("line_number", .int64, .required)
            .field("line_id", .string, .required)
            .field("lane", .string, .required)
            .field("risk_score", .int64, .required)
            .field("regimes", .string, .required)
            .field("flags", .string, .required)
            .field("json", .string)
            .field("csv", .string)
            .compositeIdentifier(over: "job_id", "line_number")
            .create()
        try await database.schema(ScreeningJobStore.problemsTable)
            .field("job_id", .uuid, .required, .references(ScreeningJobModel.schema, "id", onDelete: .cascade))
            .field("line_number", .int64, .required)
            .field("message", .string, .required)
            .compositeIdentifier(over: "job_id", "line_number")
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.create(index: "screening_jobs_owner").on(ScreeningJobModel.schema).column("owner").run()
            // The lane filter (red lines of a million-line job) without a scan of the job.
            try await sql.create(index: "screening_job_lines_lane").on(ScreeningJobStore.linesTable)
                .column("job_id").column("lane").column("line_number").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ScreeningJobStore.problemsTable).delete()
        try await database.schema(ScreeningJobStore.linesTable).delete()
        try await database.schema(ScreeningJobModel.schema).delete()
    }
}
