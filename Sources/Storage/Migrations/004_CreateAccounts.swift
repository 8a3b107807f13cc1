import FluentKit

/// 004: accounts, their API tokens (hashes only), web sessions and the audit log.
struct CreateAccounts: AsyncMigration {
    var name: String { "004_CreateAccounts" }

    func prepare(on database: any Database) async throws {
        try await database.schema(UserModel.schema)
            .id()
            .field("name", .string, .required)
            .field("role", .string, .required)
            .field("password_hash", .string, .required)
            .field("disabled", .bool, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "name")
            .create()
        try await database.schema(APITokenModel.schema)
            .id()
            .field("user_id", .uuid, .required, .references(UserModel.schema, "id", onDelete: .cascade))
            .field("label", .string, .required)
            .field("prefix", .string, .required)
            .field("token_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await database.schema(WebSessionModel.schema)
            .id()
            .field("key_hash", .string, .required)
            .field("payload", .string, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "key_hash")
            .create()
        try await database.schema(AuditEventModel.schema)
            .id()
            .field("at", .datetime, .required)
            .field("actor", .string, .required)
            .field("action", .string, .required)
            .field("target", .string, .required)
            .field("detail", .string, .required)
            .field("address", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AuditEventModel.schema).delete()
        try await database.schema(WebSessionModel.schema).delete()
        try await database.schema(APITokenModel.schema).delete()
        try await database.schema(UserModel.schema).delete()
    }
}
