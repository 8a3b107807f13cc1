import FluentKit
import Foundation
import GreenCustomsCore
import SQLKit

/// Accounts and their API tokens. Secrets arrive here already hashed (a Bcrypt hash for passwords, a SHA-256 hex
/// digest for tokens): this layer never sees a password or a token.
public struct AccountStore: Sendable {
    let storage: StorageDatabase
    let clock: @Sendable () -> Date

    public init(storage: StorageDatabase, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.storage = storage
        self.clock = clock
    }

    /// Creates an account. Throws `AccountError.nameTaken` when the name is in use, `.invalidName` when it is not a
    /// valid account name.
    @discardableResult
    public func createUser(name: String, role: Role, passwordHash: String) async throws -> UserAccount {
        if let problem = UserAccount.problem(withName: name) { throw AccountError.invalidName(name, problem) }
        let db = storage.database
        if let existing = try await Self.model(named: name, on: db) { throw AccountError.nameTaken(existing.name) }
        let model = UserModel(name: name, role: role.rawValue, passwordHash: passwordHash, createdAt: clock())
        do { try await model.create(on: db) } catch {
            // Another process created the same name between the check and the insert (the unique index said no).
            if let existing = try await Self.model(named: name, on: db) {
                throw AccountError.nameTaken(existing.name)
            }
            throw error
        }
        return try Self.account(model)
    }

    /// The account with this name, or else the one whose name has the same key (`ADMIN1` finds `admin1`).
    static func model(named name: String, on db: any Database) async throws -> UserModel? {
        if let exact = try await UserModel.query(on: db).filter(\.$name == name).first() { return exact }
        return try await UserModel.query(on: db).filter(\.$nameKey == UserAccount.key(forName: name)).first()
    }

    public func user(named name: String) async throws -> UserAccount? {
        try await Self.model(named: name, on: storage.database).map(Self.account)
    }

    public func user(id: UUID) async throws -> UserAccount? {
        try await UserModel.find(id, on: storage.database).map(Self.account)
    }

    /// The account and its password hash, for signing in.
    public func credentials(named name: String) async throws -> (account: UserAccount, passwordHash: String)? {
        guard let model = try await Self.model(named: name, on: storage.database) else { return nil }
        return (try Self.account(model), model.passwordHash)
    }

    public func users() async throws -> [UserAccount] {
        try await UserModel.query(on: storage.database).sort(\.$name).all().map(Self.account)
    }

    /// Changes an account's role, password hash or disabled state; nil leaves a field as it is. Any change then ends
    /// the account's browser sessions, on every app server sharing the database: a session opened with the old
    /// password or for the old role does not outlive it. (Two statements, the change first: a session opened between
    /// them was opened under the new password or role. No transaction: on SQLite a transaction that reads before it
    /// writes can be refused outright when another connection writes meanwhile.)
    @discardableResult
    public func updateUser(
        named name: String, role: Role? = nil, passwordHash: String? = nil, disabled: Bool? = nil
    ) async throws -> UserAccount {
        let db = storage.database
        guard let model = try await Self.model(named: name, on: db) else { throw AccountError.noSuchUser(name) }
        if let role { model.role = role.rawValue }
        if let passwordHash { model.passwordHash = passwordHash }
        if let disabled { model.disabled = disabled }
        try await model.update(on: db)
        if role != nil || passwordHash != nil || disabled != nil, let id = model.id {
            try await WebSessionModel.query(on: db).filter(\.$userID == id).delete()
        }
        return try Self.account(model)
    }

    /// Stores a new token for `owner`. `tokenHash` is the SHA-256 hex digest of the secret, `prefix` its first
    /// characters.
    @discardableResult
    public func createToken(owner: String, label: String, prefix: String, tokenHash: String) async throws
        -> APITokenInfo
    {
        let db = storage.database
        guard let user = try await Self.model(named: owner, on: db), let userID = user.id else {
            throw AccountError.noSuchUser(owner)
        }
        let model = APITokenModel()
        model.$user.id = userID
        model.label = label
        model.prefix = prefix
        model.tokenHash = tokenHash
        model.createdAt = clock()
        try await model.create(on: db)
        return Self.info(model, owner: owner)
    }

    /// The enabled account that holds the unrevoked token with this hash, recording its use.
    public func tokenOwner(tokenHash: String) async throws -> (account: UserAccount, token: APITokenInfo)? {
        let db = storage.database
        guard
            let token = try await APITokenModel.query(on: db).filter(\.$tokenHash == tokenHash)
                .filter(\.$revokedAt == nil).with(\.$user).first()
        else { return nil }
        let account = try Self.account(token.user)
        guard !account.disabled else { return nil }
        let now = clock()
        // Written at most once a minute per token, so that a busy API client does not write on every request.
        if token.lastUsedAt.map({ now.timeIntervalSince($0) >= 60 }) ?? true {
            token.lastUsedAt = now
            try await token.update(on: db)
        }
        return (account, Self.info(token, owner: account.name))
    }

    /// Tokens, newest first; of one account when `owner` is given.
    public func tokens(owner: String? = nil) async throws -> [APITokenInfo] {
        var query = APITokenModel.query(on: storage.database).with(\.$user).sort(\.$createdAt, .descending)
        if let owner {
            guard let user = try await Self.model(named: owner, on: storage.database), let id = user.id else {
                throw AccountError.noSuchUser(owner)
            }
            query = query.filter(\.$user.$id == id)
        }
        return try await query.all().map { Self.info($0, owner: $0.user.name) }
    }

    /// Revokes a token by its id or by its prefix (when exactly one token has it). Returns the revoked token.
    @discardableResult
    public func revokeToken(_ idOrPrefix: String) async throws -> APITokenInfo {
        let db = storage.database
        let matches: [APITokenModel]
        if let id = UUID(uuidString: idOrPrefix) {
            matches = try await APITokenModel.query(on: db).filter(\.$id == id).with(\.$user).all()
        } else {
            matches = try await APITokenModel.query(on: db).filter(\.$prefix == idOrPrefix).with(\.$user).all()
        }
        guard matches.count == 1, let token = matches.first else {
            throw matches.isEmpty ? AccountError.noSuchToken(idOrPrefix) : AccountError.ambiguousToken(idOrPrefix)
        }
        if token.revokedAt == nil {
            token.revokedAt = clock()
            try await token.update(on: db)
        }
        return Self.info(token, owner: token.user.name)
    }

    static func account(_ model: UserModel) throws -> UserAccount {
        guard let id = model.id, let role = Role(rawValue: model.role) else {
            throw StorageError(message: "account \(model.name) has an unknown role \"\(model.role)\"")
        }
        return UserAccount(id: id, name: model.name, role: role, disabled: model.disabled, createdAt: model.createdAt)
    }

    static func info(_ model: APITokenModel, owner: String) -> APITokenInfo {
        APITokenInfo(
            id: model.id ?? UUID(), owner: owner, label: model.label, prefix: model.prefix, createdAt: model.createdAt,
            lastUsedAt: model.lastUsedAt, revokedAt: model.revokedAt)
    }
}

public enum AccountError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidName(String, String)
    case nameTaken(String)
    case noSuchUser(String)
    case noSuchToken(String)
    case ambiguousToken(String)

    public var description: String {
        switch self {
        case .invalidName(let name, let why): "\"\(name)\" cannot be an account name: \(why)"
        case .nameTaken(let name): "an account named \"\(name)\" already exists"
        case .noSuchUser(let name): "no account is named \"\(name)\""
        case .noSuchToken(let key): "no API token has the id or prefix \"\(key)\""
        case .ambiguousToken(let key): "several API tokens start with \"\(key)\"; give the token's id"
        }
    }
}

/// The audit log: append-only from the application's side.
public struct AuditLog: Sendable {
    let storage: StorageDatabase

    public init(storage: StorageDatabase) { self.storage = storage }

    public func record(_ event: AuditEvent) async throws {
        try await Self.model(event).create(on: storage.database)
    }

    /// Records several events with one multi-row INSERT per 100 events, in one transaction: a busy API queues
    /// thousands a second, and a model insert per event would take a core.
    public func record(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await storage.database.transaction { db in
            guard let tx = db as? any SQLDatabase else {
                for event in events { try await Self.model(event).create(on: db) }
                return
            }
            for start in stride(from: 0, to: events.count, by: 100) {
                var insert = tx.insert(into: AuditEventModel.schema)
                    .columns("id", "at", "actor", "action", "target", "detail", "address")
                for event in events[start..<min(start + 100, events.count)] {
                    let m = Self.model(event)
                    insert = insert.values(
                        SQLBind(UUID()), SQLBind(m.at), SQLBind(m.actor), SQLBind(m.action), SQLBind(m.target),
                        SQLBind(m.detail), SQLBind(m.address))
                }
                try await insert.run()
            }
        }
    }

    static func model(_ event: AuditEvent) -> AuditEventModel {
        let model = AuditEventModel()
        model.at = event.at
        model.actor = event.actor
        model.action = event.action.rawValue
        model.target = String(event.target.prefix(512))
        model.detail = String(event.detail.prefix(2_000))
        model.address = String(event.address.prefix(64))
        return model
    }

    /// Events newest first, `limit` from `offset`, optionally of one actor or one action.
    public func events(limit: Int, offset: Int = 0, actor: String? = nil, action: AuditEvent.Action? = nil)
        async throws -> [AuditEvent]
    {
        try await query(actor: actor, action: action).sort(\.$at, .descending).range(offset..<(offset + limit)).all()
            .map { model in
                AuditEvent(
                    at: model.at, actor: model.actor,
                    action: AuditEvent.Action(rawValue: model.action) ?? .accessDenied,
                    target: model.target, detail: model.detail, address: model.address)
            }
    }

    public func count(actor: String? = nil, action: AuditEvent.Action? = nil) async throws -> Int {
        try await query(actor: actor, action: action).count()
    }

    /// The events of one actor and one action, either optional.
    private func query(actor: String?, action: AuditEvent.Action?) -> QueryBuilder<AuditEventModel> {
        var query = AuditEventModel.query(on: storage.database)
        if let actor { query = query.filter(\.$actor == actor) }
        if let action { query = query.filter(\.$action == action.rawValue) }
        return query
    }
}

/// Browser sessions, stored so that several app servers sharing one database share them. Keys arrive hashed.
public struct SessionStore: Sendable {
    let storage: StorageDatabase

    public init(storage: StorageDatabase) { self.storage = storage }

    /// A stored session: its JSON and when it runs out.
    public struct Stored: Sendable, Equatable {
        public var payload: String
        public var expiresAt: Date
    }

    /// The session, unless it is missing or expired.
    public func read(keyHash: String, now: Date = Date()) async throws -> Stored? {
        guard let model = try await WebSessionModel.query(on: storage.database).filter(\.$keyHash == keyHash).first()
        else { return nil }
        guard model.expiresAt > now else {
            try await model.delete(on: storage.database)
            return nil
        }
        return Stored(payload: model.payload, expiresAt: model.expiresAt)
    }

    /// Stores a session; `userID` is its signed-in account, whose changes end it (`AccountStore.updateUser`).
    public func write(keyHash: String, payload: String, expiresAt: Date, userID: UUID?) async throws {
        let db = storage.database
        if let model = try await WebSessionModel.query(on: db).filter(\.$keyHash == keyHash).first() {
            model.payload = payload
            model.expiresAt = expiresAt
            model.userID = userID
            try await model.update(on: db)
        } else {
            let model = WebSessionModel()
            model.keyHash = keyHash
            model.payload = payload
            model.expiresAt = expiresAt
            model.userID = userID
            try await model.create(on: db)
        }
    }

    /// How many sessions are stored (expired ones included), for tests and operations.
    public func count() async throws -> Int { try await WebSessionModel.query(on: storage.database).count() }

    public func delete(keyHash: String) async throws {
        try await WebSessionModel.query(on: storage.database).filter(\.$keyHash == keyHash).delete()
    }

    /// Deletes expired sessions; returns how many.
    @discardableResult
    public func purgeExpired(now: Date = Date()) async throws -> Int {
        let db = storage.database
        let count = try await WebSessionModel.query(on: db).filter(\.$expiresAt <= now).count()
        try await WebSessionModel.query(on: db).filter(\.$expiresAt <= now).delete()
        return count
    }
}
