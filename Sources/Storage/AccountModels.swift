import FluentKit
import Foundation
import GreenCustomsCore

/// An account. The password is stored only as a Bcrypt hash, made by the caller.
final class UserModel: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    /// `UserAccount.key(forName:)` of the name, unique.
    @OptionalField(key: "name_key") var nameKey: String?
    @Field(key: "role") var role: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "disabled") var disabled: Bool
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(name: String, role: String, passwordHash: String, createdAt: Date) {
        self.name = name
        self.nameKey = UserAccount.key(forName: name)
        self.role = role
        self.passwordHash = passwordHash
        self.disabled = false
        self.createdAt = createdAt
    }
}

/// An API token: a SHA-256 hash of the secret (never the secret), its first characters and its state.
final class APITokenModel: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: UserModel
    @Field(key: "label") var label: String
    @Field(key: "prefix") var prefix: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}

/// A signed-in browser session, by a hash of its cookie value, so that a copy of the table signs nobody in.
final class WebSessionModel: Model, @unchecked Sendable {
    static let schema = "web_sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "key_hash") var keyHash: String
    /// The session's data as JSON.
    @Field(key: "payload") var payload: String
    /// The signed-in account, once there is one: its sessions end when its password, role or state changes.
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "expires_at") var expiresAt: Date

    init() {}
}

final class AuditEventModel: Model, @unchecked Sendable {
    static let schema = "audit_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "at") var at: Date
    @Field(key: "actor") var actor: String
    @Field(key: "action") var action: String
    @Field(key: "target") var target: String
    @Field(key: "detail") var detail: String
    @Field(key: "address") var address: String

    init() {}
}
