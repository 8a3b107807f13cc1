import FluentKit
import Foundation
import GreenCustomsCore
import SQLKit

/// A dataset as the rest of the product sees it.
public struct DatasetInfo: Sendable, Equatable, Codable {
    public var kind: String
    public var version: String
    public var sourceFile: String
    public var recordCount: Int
    public var importedAt: Date
    public var active: Bool
}

/// One active imported dataset: controlled items (an official species list) or HS texts (a nomenclature).
public struct ImportedDataset: Sendable {
    public var info: DatasetInfo
    public var items: [ControlledItem]
    public var hsDescriptions: [HSDescription]
}

/// What the database holds: the bundled reference set and the active imported datasets, in import order.
public struct StoredReference: Sendable {
    public var bundled: ReferenceSet?
    public var imports: [ImportedDataset]
}

/// Reads and writes reference datasets. Every write is one transaction: an import either lands whole or leaves
/// the database exactly as it was.
public struct ReferenceStore: Sendable {
    public static let bundledKind = "bundled"

    let storage: StorageDatabase
    let clock: @Sendable () -> Date

    public init(storage: StorageDatabase, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.storage = storage
        self.clock = clock
    }

    /// Stores the bundled reference set unless the same version is already there; replaces an older bundled
    /// version. Returns true when it wrote.
    @discardableResult
    public func installBundled(_ set: ReferenceSet, sourceFile: String) async throws -> Bool {
        let db = storage.database
        if try await ReferenceDatasetModel.query(on: db)
            .filter(\.$kind == Self.bundledKind).filter(\.$version == set.version).filter(\.$active == true)
            .first() != nil
        {
            return false
        }
        let records = try Self.records(for: set)
        let now = clock()
        try await db.transaction { tx in
            // Another process may have installed it meanwhile.
            if try await ReferenceDatasetModel.query(on: tx)
                .filter(\.$kind == Self.bundledKind).filter(\.$version == set.version).first() != nil
            {
                return
            }
            let old = try await ReferenceDatasetModel.query(on: tx).filter(\.$kind == Self.bundledKind).all()
            for dataset in old {
                try await ReferenceRecordModel.query(on: tx).filter(\.$dataset.$id == dataset.requireID()).delete()
                try await dataset.delete(on: tx)
            }
            let dataset = ReferenceDatasetModel(
                kind: Self.bundledKind, version: set.version, sourceFile: sourceFile, recordCount: records.count,
                importedAt: now, active: true)
            try await dataset.create(on: tx)
            try await Self.insert(records, dataset: dataset.requireID(), on: tx)
        }
        return true
    }

    /// Stores an imported dataset of items and makes it the active one of its kind; earlier imports of the same
    /// kind stay in the database, inactive, as the version history.
    public func importItems(_ items: [ControlledItem], kind: String, version: String, sourceFile: String) async throws
        -> DatasetInfo
    {
        let records = try Self.pending(items, type: "item", key: { item, _ in item.id }, regime: { $0.regime.rawValue })
        return try await importRecords(records, kind: kind, version: version, sourceFile: sourceFile)
    }

    /// Stores an imported HS nomenclature (chapter, heading and subheading texts) like any other dataset.
    public func importHSDescriptions(_ entries: [HSDescription], kind: String, version: String, sourceFile: String)
        async throws -> DatasetInfo
    {
        let records = try Self.pending(
            entries, type: "hs_description", key: { entry, _ in entry.code }, regime: { _ in nil })
        return try await importRecords(records, kind: kind, version: version, sourceFile: sourceFile)
    }

    /// One transaction: deactivate the kind's current dataset, add the new one with all its records.
    func importRecords(_ records: [PendingRecord], kind: String, version: String, sourceFile: String) async throws
        -> DatasetInfo
    {
        let dataset = ReferenceDatasetModel(
            kind: kind, version: version, sourceFile: sourceFile, recordCount: records.count, importedAt: clock(),
            active: true)
        try await storage.database.transaction { tx in
            try await ReferenceDatasetModel.query(on: tx).filter(\.$kind == kind).set(\.$active, to: false).update()
            try await dataset.create(on: tx)
            try await Self.insert(records, dataset: dataset.requireID(), on: tx)
        }
        return Self.info(dataset)
    }

    /// Every dataset, newest first.
    public func datasets() async throws -> [DatasetInfo] {
        try await ReferenceDatasetModel.query(on: storage.database).sort(\.$importedAt, .descending).all().map(
            Self.info)
    }

    /// Loads the active bundled set and the active imports.
    public func load() async throws -> StoredReference {
        let db = storage.database
        let active = try await ReferenceDatasetModel.query(on: db).filter(\.$active == true).sort(\.$importedAt).all()
        let decoder = JSONDecoder()
        var bundled: ReferenceSet?
        var imports: [ImportedDataset] = []
        for dataset in active {
            // Plain SQL rather than model hydration: tens of thousands of rows load several times faster.
            let rows = try await Self.payloads(of: dataset.requireID(), on: db)
            if dataset.kind == Self.bundledKind {
                var set = ReferenceSet(version: dataset.version)
                for (type, payload) in rows {
                    let data = Data(payload.utf8)
                    switch type {
                    case "item": set.items.append(try decoder.decode(ControlledItem.self, from: data))
                    case "country": set.countries.append(try decoder.decode(Country.self, from: data))
                    case "requirement": set.requirements.append(try decoder.decode(Requirement.self, from: data))
                    case "hs_link": set.hsLinks.append(try decoder.decode(HSLink.self, from: data))
                    case "trade_term": set.tradeTerms.append(try decoder.decode(TradeTerm.self, from: data))
                    default: throw StorageError(message: "unknown record type \(type) in dataset \(dataset.version)")
                    }
                }
                bundled = set
            } else {
                let items = try Self.decodeItems(rows.filter { $0.type == "item" }.map(\.payload))
                let texts = try rows.filter { $0.type == "hs_description" }.map {
                    try decoder.decode(HSDescription.self, from: Data($0.payload.utf8))
                }
                imports.append(ImportedDataset(info: Self.info(dataset), items: items, hsDescriptions: texts))
            }
        }
        return StoredReference(bundled: bundled, imports: imports)
    }

    // MARK: Snapshots

    /// Whether the database holds `version` of the bundled lists as the active bundled dataset.
    public func hasActiveBundled(version: String) async throws -> Bool {
        try await ReferenceDatasetModel.query(on: storage.database)
            .filter(\.$kind == Self.bundledKind).filter(\.$version == version).filter(\.$active == true)
            .first() != nil
    }

    /// Names the active datasets (kind, version and id of each, in import order): the key under which a snapshot of
    /// the set they make is stored. Any import or re-install changes it.
    public func activeKey() async throws -> String {
        let active = try await ReferenceDatasetModel.query(on: storage.database).filter(\.$active == true)
            .sort(\.$importedAt).sort(\.$id).all()
        return try active.map { "\($0.kind)=\($0.version)@\(try $0.requireID().uuidString)" }.joined(separator: ";")
    }

    /// The stored snapshot for `key`, if any.
    public func snapshot(key: String) async throws -> [UInt8]? {
        let db = storage.database
        if let sql = db as? any SQLDatabase {
            let row = try await sql.select().column("payload").from(ReferenceSnapshotModel.schema)
                .where("key", .equal, key).first()
            return try row.map { [UInt8](try $0.decode(column: "payload", as: Data.self)) }
        }
        return try await ReferenceSnapshotModel.query(on: db).filter(\.$key == key).first().map { [UInt8]($0.payload) }
    }

    /// Stores a snapshot under `key` and drops every other (they describe datasets that are no longer active).
    public func saveSnapshot(_ bytes: [UInt8], key: String) async throws {
        let now = clock()
        try await storage.database.transaction { tx in
            try await ReferenceSnapshotModel.query(on: tx).delete()
            try await ReferenceSnapshotModel(key: key, createdAt: now, payload: Data(bytes)).create(on: tx)
        }
    }

    // MARK: Helpers

    struct PendingRecord: Sendable {
        var type: String
        var key: String
        var regime: String?
        var position: Int
        var payload: String
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Values of one type as records, positioned after `offset`, each encoded as sorted-key JSON. `key` gets the
    /// value and its position.
    static func pending<T: Encodable>(
        _ values: [T], type: String, offset: Int = 0, key: (T, Int) -> String, regime: (T) -> String?
    ) throws -> [PendingRecord] {
        let encoder = encoder()
        return try values.enumerated().map { index, value in
            PendingRecord(
                type: type, key: key(value, offset + index), regime: regime(value), position: offset + index,
                payload: String(decoding: try encoder.encode(value), as: UTF8.self))
        }
    }

    /// Every record of the bundled set, in one sequence of positions. Requirements, HS links and trade terms have no
    /// natural id, so their key includes their position to stay unique.
    static func records(for set: ReferenceSet) throws -> [PendingRecord] {
        var out = try pending(set.items, type: "item", key: { item, _ in item.id }, regime: { $0.regime.rawValue })
        out += try pending(
            set.countries, type: "country", offset: out.count, key: { country, _ in country.code.text },
            regime: { _ in nil })
        out += try pending(
            set.requirements, type: "requirement", offset: out.count, key: { "\($0.regime.rawValue):\($1)" },
            regime: { $0.regime.rawValue })
        out += try pending(
            set.hsLinks, type: "hs_link", offset: out.count, key: { "\($0.hs.digits):\($1)" },
            regime: { $0.regimes.first?.rawValue })
        out += try pending(
            set.tradeTerms, type: "trade_term", offset: out.count, key: { "\($0.language):\($0.term):\($1)" },
            regime: { _ in nil })
        return out
    }

    /// Inserts in batches small enough for SQLite's and PostgreSQL's limits on bound parameters.
    static func insert(_ records: [PendingRecord], dataset: UUID, on db: any Database) async throws {
        var start = 0
        while start < records.count {
            let end = min(start + 1_000, records.count)
            let models = records[start..<end].map {
                ReferenceRecordModel(
                    datasetID: dataset, recordType: $0.type, recordKey: $0.key, regime: $0.regime,
                    position: $0.position,
                    payload: $0.payload)
            }
            try await models.create(on: db)
            start = end
        }
    }

    /// Decodes item payloads on every core: an imported CITES list is ~38,000 JSON records.
    static func decodeItems(_ payloads: [String]) throws -> [ControlledItem] {
        try Parallel.mapChunks(count: payloads.count, minimumChunk: 2_000) { range in
            let decoder = JSONDecoder()
            return try payloads[range].map { try decoder.decode(ControlledItem.self, from: Data($0.utf8)) }
        }.flatMap { $0 }
    }

    static func payloads(of dataset: UUID, on db: any Database) async throws -> [(type: String, payload: String)] {
        guard let sql = db as? any SQLDatabase else {
            return try await ReferenceRecordModel.query(on: db).filter(\.$dataset.$id == dataset).sort(\.$position)
                .all()
                .map { ($0.recordType, $0.payload) }
        }
        let rows = try await sql.select()
            .column("record_type").column("payload")
            .from(ReferenceRecordModel.schema)
            .where("dataset_id", .equal, dataset)
            .orderBy("position")
            .all()
        return try rows.map {
            (try $0.decode(column: "record_type", as: String.self), try $0.decode(column: "payload", as: String.self))
        }
    }

    static func info(_ model: ReferenceDatasetModel) -> DatasetInfo {
        DatasetInfo(
            kind: model.kind, version: model.version, sourceFile: model.sourceFile, recordCount: model.recordCount,
            importedAt: model.importedAt, active: model.active)
    }
}
