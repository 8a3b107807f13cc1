import FluentKit

/// 002: the records of each dataset, as JSON payloads, unique by id within a dataset; deleting a dataset deletes
/// its records.
struct CreateReferenceRecords: AsyncMigration {
    var name: String { "002_CreateReferenceRecords" }

    func prepare(on database: any Database) async throws {
        try await database.schema(ReferenceRecordModel.schema)
            .id()
            .field("dataset_id", .uuid, .required, .references(ReferenceDatasetModel.schema, .id, onDelete: .cascade))
            .field("record_type", .string, .required)
            .field("record_key", .string, .required)
            .field("regime", .string)
            .field("position", .int, .required)
            .field("payload", .string, .required)
            // One record per id within a dataset: a file that repeats an id fails its import as a whole.
            .unique(on: "dataset_id", "record_type", "record_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ReferenceRecordModel.schema).delete()
    }
}
