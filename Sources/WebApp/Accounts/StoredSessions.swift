import Foundation
import Storage
import Vapor

/// Vapor sessions kept in the database (table `web_sessions`), so that several app servers sharing one PostgreSQL
/// database share sign-ins. The cookie carries a random 256-bit key; the table holds only its SHA-256 digest.
struct StoredSessions: AsyncSessionDriver {
    let store: SessionStore
    let lifetime: TimeInterval

    func createSession(_ data: SessionData, for request: Request) async throws -> SessionID {
        let key = Secrets.newToken(prefix: "")
        try await store.write(
            keyHash: Secrets.digest(key), payload: try Self.encode(data), expiresAt: Date() + lifetime)
        return SessionID(string: key)
    }

    func readSession(_ sessionID: SessionID, for request: Request) async throws -> SessionData? {
        guard let payload = try await store.read(keyHash: Secrets.digest(sessionID.string)) else { return nil }
        return try? JSONDecoder().decode(SessionData.self, from: Data(payload.utf8))
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) async throws -> SessionID {
        try await store.write(
            keyHash: Secrets.digest(sessionID.string), payload: try Self.encode(data), expiresAt: Date() + lifetime)
        return sessionID
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) async throws {
        try await store.delete(keyHash: Secrets.digest(sessionID.string))
    }

    static func encode(_ data: SessionData) throws -> String {
        String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
    }
}

/// Failed sign-ins counted per account name and per client address over a sliding window; past the limit, further
/// attempts are refused (HTTP 429) until the window has passed. Kept in memory: each app server counts its own.
actor SignInThrottle {
    /// Failures allowed per account name (from any address) and per address (for any name) in `window`.
    let perName: Int
    let perAddress: Int
    let window: TimeInterval
    private var failures: [String: [Date]] = [:]

    init(perName: Int = 5, perAddress: Int = 20, window: TimeInterval = 15 * 60) {
        self.perName = perName
        self.perAddress = perAddress
        self.window = window
    }

    /// Seconds to wait before trying again, or nil when an attempt is allowed now.
    func retryAfter(name: String, address: String, now: Date = Date()) -> Int? {
        let keys = [("name:" + name.lowercased(), perName), ("address:" + address, perAddress)]
        var wait: TimeInterval = 0
        for (key, limit) in keys {
            let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
            failures[key] = recent.isEmpty ? nil : recent
            if recent.count >= limit, let oldest = recent.first {
                wait = max(wait, window - now.timeIntervalSince(oldest))
            }
        }
        return wait > 0 ? Int(wait.rounded(.up)) : nil
    }

    func recordFailure(name: String, address: String, now: Date = Date()) {
        failures["name:" + name.lowercased(), default: []].append(now)
        failures["address:" + address, default: []].append(now)
    }

    func recordSuccess(name: String) {
        failures["name:" + name.lowercased()] = nil
    }
}
