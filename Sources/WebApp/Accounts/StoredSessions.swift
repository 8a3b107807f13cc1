import Foundation
import GreenCustomsCore
import Storage
import Vapor

/// Vapor sessions kept in the database (table `web_sessions`), so that several app servers sharing one PostgreSQL
/// database share sign-ins. The cookie carries a random 256-bit key; the table holds only its SHA-256 digest, and the
/// signed-in account's id, so that a change to the account ends its sessions (`AccountStore.updateUser`).
///
/// A session is written only when there is something to keep: a session without data (a stale or made-up cookie,
/// which Vapor turns into a new empty session) writes no row, and one whose data did not change is written again
/// only to push its expiry on, at most every `refreshAfter` seconds. Before, every anonymous look at the sign-in page
/// and every signed-in page view wrote a row.
struct StoredSessions: AsyncSessionDriver {
    let store: SessionStore
    let lifetime: TimeInterval
    /// An unchanged session's expiry is pushed on once it is this old.
    static let refreshAfter: TimeInterval = 300

    private struct ReadKey: StorageKey { typealias Value = SessionStore.Stored }

    func createSession(_ data: SessionData, for request: Request) async throws -> SessionID {
        let key = Secrets.newToken(prefix: "")
        guard !data.snapshot.isEmpty else { return SessionID(string: key) }
        try await store.write(
            keyHash: Secrets.digest(key), payload: try Self.encode(data), expiresAt: Date() + lifetime,
            userID: Self.user(data))
        return SessionID(string: key)
    }

    func readSession(_ sessionID: SessionID, for request: Request) async throws -> SessionData? {
        guard let stored = try await store.read(keyHash: Secrets.digest(sessionID.string)) else { return nil }
        request.storage[ReadKey.self] = stored
        return try? JSONDecoder().decode(SessionData.self, from: Data(stored.payload.utf8))
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) async throws -> SessionID {
        let payload = try Self.encode(data)
        let now = Date()
        if let read = request.storage[ReadKey.self], read.payload == payload,
            read.expiresAt - lifetime + Self.refreshAfter > now
        {
            return sessionID
        }
        guard !data.snapshot.isEmpty || request.storage[ReadKey.self] != nil else { return sessionID }
        try await store.write(
            keyHash: Secrets.digest(sessionID.string), payload: payload, expiresAt: now + lifetime,
            userID: Self.user(data))
        return sessionID
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) async throws {
        try await store.delete(keyHash: Secrets.digest(sessionID.string))
    }

    /// The signed-in account of a session's data.
    static func user(_ data: SessionData) -> UUID? { data["user"].flatMap(UUID.init(uuidString:)) }

    static func encode(_ data: SessionData) throws -> String {
        // Keys sorted, so that unchanged data encodes to the same text and is not written again.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(data), as: UTF8.self)
    }
}

/// Failed sign-ins counted over a sliding window; past a limit, further attempts are refused (HTTP 429) until the
/// window has passed. Three counts, each with its own limit:
/// - one account name from one address (`perNameAndAddress`): a guesser at one address gets a handful of tries;
/// - one address, any names (`perAddress`): a guesser trying many names;
/// - one account name, any address (`perName`, much higher): guessing spread over many addresses.
///
/// Someone else's failures never lock the owner out at the owner's own address until the high `perName` limit,
/// which takes many addresses to reach. An attempt is counted when it starts (`begin`), before the password is
/// checked, and forgiven only if it succeeds (`finish`): parallel guesses cannot all pass the check while the first
/// ones are still being verified. Kept in memory: each app server counts its own.
actor SignInThrottle {
    let perNameAndAddress: Int
    let perAddress: Int
    let perName: Int
    let window: TimeInterval
    private var attempts: [String: [Date]] = [:]

    init(perNameAndAddress: Int = 5, perAddress: Int = 20, perName: Int = 100, window: TimeInterval = 15 * 60) {
        self.perNameAndAddress = perNameAndAddress
        self.perAddress = perAddress
        self.perName = perName
        self.window = window
    }

    /// An attempt under way, counted as a failure until `finish` says otherwise.
    struct Attempt: Sendable {
        fileprivate var keys: [String]
        fileprivate var at: Date
    }

    enum Decision: Sendable {
        case allowed(Attempt)
        /// Seconds to wait before trying again.
        case refused(retryAfter: Int)
    }

    /// Counts an attempt to sign in as `name` from `address`, or refuses it when a limit is reached.
    func begin(name: String, address: String, now: Date = Date()) -> Decision {
        let key = UserAccount.key(forName: name)
        let keys = [
            ("pair:\(key)|\(address)", perNameAndAddress), ("address:" + address, perAddress), ("name:" + key, perName),
        ]
        var wait: TimeInterval = 0
        for (key, limit) in keys {
            let recent = (attempts[key] ?? []).filter { now.timeIntervalSince($0) < window }
            attempts[key] = recent.isEmpty ? nil : recent
            if recent.count >= limit, let oldest = recent.first {
                wait = max(wait, window - now.timeIntervalSince(oldest))
            }
        }
        if wait > 0 { return .refused(retryAfter: max(1, Int(wait.rounded(.up)))) }
        for (key, _) in keys { attempts[key, default: []].append(now) }
        return .allowed(Attempt(keys: keys.map(\.0), at: now))
    }

    /// Ends an attempt: a success is no longer counted, and clears that name's failures from that address.
    func finish(_ attempt: Attempt, succeeded: Bool) {
        guard succeeded else { return }
        for key in attempt.keys {
            if key.hasPrefix("pair:") {
                attempts[key] = nil
            } else if var list = attempts[key], let i = list.lastIndex(of: attempt.at) {
                list.remove(at: i)
                attempts[key] = list.isEmpty ? nil : list
            }
        }
    }
}
