import FluentKit

/// 003: binary snapshots of the assembled reference set, keyed by the active datasets and the snapshot format, so a
/// command or a server starts in a fraction of a second instead of decoding every record.
struct CreateReferenceSnapshots: AsyncMigration {
    var name: String { "003_CreateReferenceSnapshots" }

    func prepare(on database: any Database) async throws {
        try await database.schema(ReferenceSnapshotModel.schema)
            .id()
            .field("key", .string, .required)
            .field("created_at", .datetime, .required)
            .field("byte_count", .int, .required)
            .field("payload", .data, .required)
            .unique(on: "key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ReferenceSnapshotModel.schema).delete()
    }
}
