import Foundation
import GreenCustomsCore
import Testing

@testable import Storage

/// Accounts, tokens, sessions and the audit log on every database (in-memory SQLite, a file, and PostgreSQL when
/// `POSTGRES_TEST_URL` names a server).
@Suite("Account store", .serialized)
struct AccountStoreTests {
    static var locations: [DatabaseLocation] { ReferenceStoreTests.locations }

    final class Clock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_760_000_000)
    }

    func withStores(
        _ location: DatabaseLocation, clock: Clock = Clock(),
        _ body: (AccountStore, AuditLog, SessionStore) async throws -> Void
    ) async throws {
        try await ReferenceStoreTests.withDatabase(location, clear: Self.clear) { storage in
            try await body(
                AccountStore(storage: storage, clock: { clock.now }), AuditLog(storage: storage),
                SessionStore(storage: storage))
        }
    }

    static func clear(_ storage: StorageDatabase) async throws {
        try await APITokenModel.query(on: storage.database).delete()
        try await UserModel.query(on: storage.database).delete()
        try await WebSessionModel.query(on: storage.database).delete()
        try await AuditEventModel.query(on: storage.database).delete()
    }

    @Test("Accounts: created once per name, names validated, role and state changed", arguments: locations)
    func accounts(location: DatabaseLocation) async throws {
        try await withStores(location) { accounts, _, _ in
            let amina = try await accounts.createUser(name: "amina", role: .officer, passwordHash: "$2b$hash")
            #expect(amina.role == .officer && !amina.disabled)
            await #expect(throws: AccountError.nameTaken("amina")) {
                try await accounts.createUser(name: "amina", role: .admin, passwordHash: "x")
            }
            await #expect(throws: AccountError.self) {
                try await accounts.createUser(name: "a' OR 1=1 --", role: .admin, passwordHash: "x")
            }
            #expect(try await accounts.credentials(named: "amina")?.passwordHash == "$2b$hash")
            #expect(try await accounts.credentials(named: "nobody") == nil)
            let changed = try await accounts.updateUser(named: "amina", role: .analyst, disabled: true)
            #expect(changed.role == .analyst && changed.disabled)
            #expect(try await accounts.user(id: amina.id)?.role == .analyst)
            #expect(try await accounts.users().map(\.name) == ["amina"])
            await #expect(throws: AccountError.noSuchUser("zed")) { try await accounts.updateUser(named: "zed") }
        }
    }

    @Test(
        "Tokens: found by hash, use recorded, revoked by prefix or id, dead with a disabled account",
        arguments: locations)
    func tokens(location: DatabaseLocation) async throws {
        let clock = Clock()
        try await withStores(location, clock: clock) { accounts, _, _ in
            try await accounts.createUser(name: "ws-client", role: .analyst, passwordHash: "h")
            let info = try await accounts.createToken(
                owner: "ws-client", label: "single window", prefix: "gct_abc123", tokenHash: "digest-1")
            #expect(info.lastUsedAt == nil && info.revokedAt == nil)
            let found = try await accounts.tokenOwner(tokenHash: "digest-1")
            #expect(found?.account.name == "ws-client")
            #expect(found?.token.lastUsedAt == clock.now)
            #expect(try await accounts.tokenOwner(tokenHash: "digest-2") == nil)
            // Revoked: no longer found.
            try await accounts.revokeToken("gct_abc123")
            #expect(try await accounts.tokenOwner(tokenHash: "digest-1") == nil)
            #expect(try await accounts.tokens(owner: "ws-client").first?.revokedAt == clock.now)
            // A second token works until its account is disabled.
            let second = try await accounts.createToken(
                owner: "ws-client", label: "batch", prefix: "gct_def456", tokenHash: "digest-3")
            #expect(try await accounts.tokenOwner(tokenHash: "digest-3") != nil)
            try await accounts.updateUser(named: "ws-client", disabled: true)
            #expect(try await accounts.tokenOwner(tokenHash: "digest-3") == nil)
            try await accounts.revokeToken(second.id.uuidString)
            await #expect(throws: AccountError.noSuchToken("gct_zzz")) { try await accounts.revokeToken("gct_zzz") }
            await #expect(throws: AccountError.noSuchUser("ghost")) {
                try await accounts.createToken(owner: "ghost", label: "x", prefix: "p", tokenHash: "d")
            }
        }
    }

    @Test("Sessions: written, read, replaced, expired and purged", arguments: locations)
    func sessions(location: DatabaseLocation) async throws {
        try await withStores(location) { _, _, sessions in
            let now = Date(timeIntervalSince1970: 1_760_000_000)
            try await sessions.write(keyHash: "k1", payload: #"{"user":"1"}"#, expiresAt: now + 60, userID: nil)
            #expect(try await sessions.read(keyHash: "k1", now: now)?.payload == #"{"user":"1"}"#)
            try await sessions.write(keyHash: "k1", payload: #"{"user":"2"}"#, expiresAt: now + 60, userID: nil)
            #expect(try await sessions.read(keyHash: "k1", now: now) == .init(payload: #"{"user":"2"}"#, expiresAt: now + 60))
            #expect(try await sessions.read(keyHash: "k1", now: now + 61) == nil)
            try await sessions.write(keyHash: "k2", payload: "{}", expiresAt: now + 10, userID: nil)
            try await sessions.write(keyHash: "k3", payload: "{}", expiresAt: now + 100, userID: nil)
            #expect(try await sessions.purgeExpired(now: now + 50) == 1)
            try await sessions.delete(keyHash: "k3")
            #expect(try await sessions.read(keyHash: "k3", now: now) == nil)
        }
    }

    @Test("A new password, a new role or a disabled account ends that account's sessions, not others'", arguments: locations)
    func sessionsEndWithAccountChanges(location: DatabaseLocation) async throws {
        try await withStores(location) { accounts, _, sessions in
            let now = Date(timeIntervalSince1970: 1_760_000_000)
            let amina = try await accounts.createUser(name: "amina", role: .officer, passwordHash: "h1")
            let li = try await accounts.createUser(name: "li-wei", role: .officer, passwordHash: "h2")
            func signIn(_ key: String, _ account: UserAccount) async throws {
                try await sessions.write(keyHash: key, payload: "{}", expiresAt: now + 600, userID: account.id)
            }
            try await signIn("a1", amina)
            try await signIn("a2", amina)
            try await signIn("l1", li)
            try await accounts.updateUser(named: "amina", passwordHash: "h3")
            #expect(try await sessions.read(keyHash: "a1", now: now) == nil)
            #expect(try await sessions.read(keyHash: "a2", now: now) == nil)
            #expect(try await sessions.read(keyHash: "l1", now: now) != nil)
            try await signIn("a3", amina)
            try await accounts.updateUser(named: "amina", role: .trainer)
            #expect(try await sessions.read(keyHash: "a3", now: now) == nil)
            try await accounts.updateUser(named: "li-wei", disabled: true)
            #expect(try await sessions.read(keyHash: "l1", now: now) == nil)
            // Nothing changed: nothing ends.
            try await signIn("a4", amina)
            try await accounts.updateUser(named: "amina")
            #expect(try await sessions.read(keyHash: "a4", now: now) != nil)
        }
    }

    @Test("Names that differ only by case or . _ - are one account", arguments: locations)
    func lookAlikeNames(location: DatabaseLocation) async throws {
        try await withStores(location) { accounts, _, _ in
            try await accounts.createUser(name: "admin1", role: .admin, passwordHash: "h")
            for lookAlike in ["ADMIN1", "admin1.", "Admin_1", "ad-min1"] {
                await #expect(throws: AccountError.nameTaken("admin1")) {
                    try await accounts.createUser(name: lookAlike, role: .officer, passwordHash: "x")
                }
                // Signing in by a look-alike finds the one account.
                #expect(try await accounts.credentials(named: lookAlike)?.account.name == "admin1")
            }
            #expect(try await accounts.users().map(\.name) == ["admin1"])
            try await accounts.createUser(name: "admin2", role: .officer, passwordHash: "x")
            #expect(try await accounts.users().count == 2)
        }
    }

    @Test("The audit log keeps events newest first, filtered and paged", arguments: locations)
    func audit(location: DatabaseLocation) async throws {
        try await withStores(location) { _, audit, _ in
            let t0 = Date(timeIntervalSince1970: 1_760_000_000)
            for n in 0..<5 {
                try await audit.record(
                    AuditEvent(
                        at: t0 + Double(n), actor: n % 2 == 0 ? "amina" : "li", action: n == 4 ? .screening : .signIn,
                        target: "t\(n)", detail: "d\(n)", address: "127.0.0.1"))
            }
            #expect(try await audit.count() == 5)
            #expect(try await audit.events(limit: 2).map(\.target) == ["t4", "t3"])
            #expect(try await audit.events(limit: 2, offset: 2).map(\.target) == ["t2", "t1"])
            #expect(try await audit.events(limit: 10, actor: "li").map(\.target) == ["t3", "t1"])
            #expect(try await audit.events(limit: 10, action: .screening).map(\.actor) == ["amina"])
            #expect(try await audit.count(actor: "amina") == 3)
            // A batch (more than one multi-row INSERT) reads back the same, in order.
            let batch = (0..<150).map {
                AuditEvent(
                    at: t0 + 100 + Double($0), actor: "batch", action: .screening, target: "b\($0)",
                    detail: "quote ' and \" ok", address: "::1")
            }
            try await audit.record(batch)
            #expect(try await audit.count(actor: "batch") == 150)
            let newest = try await audit.events(limit: 2, actor: "batch")
            #expect(newest.map(\.target) == ["b149", "b148"])
            #expect(newest.first == batch.last)
        }
    }
}
