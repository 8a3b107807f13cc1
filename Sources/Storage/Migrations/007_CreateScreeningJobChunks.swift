import FluentKit
import SQLKit

/// 007: screening jobs that survive their server and run on any server: the uploaded file is stored, cut into parts
/// (`screening_job_chunks`) that app servers sharing the database claim with a lease, screen and commit one by one.
/// A job keeps the file's format and header, which every part is read with.
struct CreateScreeningJobChunks: AsyncMigration {
    var name: String { "007_CreateScreeningJobChunks" }

    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        for (name, type) in Self.jobColumns {
            try await database.schema(ScreeningJobModel.schema).field(.string(name), type).update()
        }
        try await database.schema(ScreeningJobStore.chunksTable)
            .field("job_id", .uuid, .required, .references(ScreeningJobModel.schema, "id", onDelete: .cascade))
            .field("chunk", .int64, .required)
            .field("first_line", .int64, .required)
            .field("records", .int64, .required)
            .field("errors", .int64, .required)
            .field("input", .data, .required)
            .field("tail", .data)
            .field("state", .string, .required)
            .field("lease_owner", .string)
            .field("lease_until", .datetime)
            .field("attempts", .int64, .required)
            .field("summary_json", .string)
            .compositeIdentifier(over: "job_id", "chunk")
            .create()
        if let sql = database as? any SQLDatabase {
            // Claiming looks for a part that is pending or whose lease has lapsed.
            try await sql.create(index: "screening_job_chunks_state").on(ScreeningJobStore.chunksTable)
                .column("state").column("lease_until").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ScreeningJobStore.chunksTable).delete()
        for (name, _) in Self.jobColumns.reversed() {
            try await database.schema(ScreeningJobModel.schema).deleteField(.string(name)).update()
        }
    }

    static let jobColumns: [(String, DatabaseSchema.DataType)] = [
        ("input_format", .string), ("input_header", .data), ("header_lines", .int64), ("chunks", .int64),
    ]
}
