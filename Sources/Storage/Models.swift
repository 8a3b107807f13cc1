import FluentKit
import Foundation

/// A dataset of reference records: the bundled lists, or one import of an official export. Kept after newer
/// versions arrive, so a result can always say which list version it rests on.
final class ReferenceDatasetModel: Model, @unchecked Sendable {
    static let schema = "reference_datasets"

    @ID(key: .id) var id: UUID?
    /// `bundled` or `cites-speciesplus`.
    @Field(key: "kind") var kind: String
    /// The version label, e.g. `bundled-2025.1+3f2a…` or `cites-speciesplus-2017-04-21+9ab1…`.
    @Field(key: "version") var version: String
    /// The file the records came from (for imports), or the bundle folder.
    @Field(key: "source_file") var sourceFile: String
    @Field(key: "record_count") var recordCount: Int
    @Field(key: "imported_at") var importedAt: Date
    /// Only active datasets are used; an import of the same kind deactivates the previous one.
    @Field(key: "active") var active: Bool

    init() {}

    init(kind: String, version: String, sourceFile: String, recordCount: Int, importedAt: Date, active: Bool) {
        self.kind = kind
        self.version = version
        self.sourceFile = sourceFile
        self.recordCount = recordCount
        self.importedAt = importedAt
        self.active = active
    }
}

/// One reference record of a dataset, stored as the JSON of its domain value so that SQLite and PostgreSQL hold
/// exactly the same thing and loading is one query.
final class ReferenceRecordModel: Model, @unchecked Sendable {
    static let schema = "reference_records"

    @ID(key: .id) var id: UUID?
    @Parent(key: "dataset_id") var dataset: ReferenceDatasetModel
    /// `item`, `country`, `requirement` or `hs_link`.
    @Field(key: "record_type") var recordType: String
    /// The record's own id (item id, ISO code…), for look-ups by id.
    @Field(key: "record_key") var recordKey: String
    @OptionalField(key: "regime") var regime: String?
    @Field(key: "position") var position: Int
    @Field(key: "payload") var payload: String

    init() {}

    init(datasetID: UUID, recordType: String, recordKey: String, regime: String?, position: Int, payload: String) {
        self.$dataset.id = datasetID
        self.recordType = recordType
        self.recordKey = recordKey
        self.regime = regime
        self.position = position
        self.payload = payload
    }
}

/// A binary snapshot of the assembled reference set (see `ReferenceSnapshot` in ReferenceData), keyed by the
/// active datasets it was built from.
final class ReferenceSnapshotModel: Model, @unchecked Sendable {
    static let schema = "reference_snapshots"

    @ID(key: .id) var id: UUID?
    @Field(key: "key") var key: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "byte_count") var byteCount: Int
    @Field(key: "payload") var payload: Data

    init() {}

    init(key: String, createdAt: Date, payload: Data) {
        self.key = key
        self.createdAt = createdAt
        self.byteCount = payload.count
        self.payload = payload
    }
}
