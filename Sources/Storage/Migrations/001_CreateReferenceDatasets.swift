import FluentKit

/// 001: datasets of reference records (bundled lists and imports), with their versions.
struct CreateReferenceDatasets: AsyncMigration {
    var name: String { "001_CreateReferenceDatasets" }

    func prepare(on database: any Database) async throws {
        try await database.schema(ReferenceDatasetModel.schema)
            .id()
            .field("kind", .string, .required)
            .field("version", .string, .required)
            .field("source_file", .string, .required)
            .field("record_count", .int, .required)
            .field("imported_at", .datetime, .required)
            .field("active", .bool, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ReferenceDatasetModel.schema).delete()
    }
}
