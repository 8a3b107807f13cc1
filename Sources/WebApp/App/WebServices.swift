import Foundation
import GreenCustomsCore
import ReferenceLibrary
import Screening
import Storage
import Vapor

/// Everything the web app's routes share: the database and its repositories, and the reference set with its
/// look-up index and screening engine (built once at start, replaced whole after an import).
public final class WebServices: Sendable {
    public let storage: StorageDatabase
    public let accounts: AccountStore
    /// The audit log, for reading; events are written through `record`, in batches.
    let audit: AuditLog
    let recorder: AuditRecorder
    public let sessions: SessionStore
    /// Files screened in the background, and their results.
    public let jobs: ScreeningJobStore
    let runner: ScreeningJobRunner
    public let settings: WebSettings
    let throttle = SignInThrottle()
    /// Token digest → the account it acts for, checked at most `tokenLifetime` seconds ago: an API client sending
    /// many requests costs one database query per token every few seconds instead of one per request.
    private let tokens = Locked(TokenChecks())
    /// Database checks of tokens under way, one per token, which every request that needs one waits for.
    private let tokenChecksUnderWay = Locked<[SHA256Digest: (generation: Int, task: Task<UserAccount?, any Error>)]>(
        [:])
    /// How long a token check is trusted. A token revoked or an account disabled elsewhere (the CLI, another app
    /// server) stops working here within this time; a revocation on this server takes effect at once.
    static let tokenLifetime: TimeInterval = 10
    /// When a token in use is checked again, in the background, while its last check still serves: a busy client's
    /// requests never wait for the database, and never all ask it at once when the check runs out.
    static let tokenRecheck: TimeInterval = 8
    private let current: Locked<ReferenceState>
    /// The time, injected so that tests of anything timed (token checks, throttles, leases) do not depend on how fast
    /// the machine is.
    let clock: @Sendable () -> Date
    /// What `/metrics` reports.
    let metrics = AppMetrics()

    /// The reference set as the routes use it. Immutable; swapped whole.
    public struct ReferenceState: Sendable {
        public let set: ReferenceSet
        public let lookup: LookupIndex
        public let engine: ScreeningEngine
        public let itemsByID: [String: Int]

        public init(_ set: ReferenceSet) {
            self.set = set
            let (lookup, engine) = Parallel.pair({ LookupIndex(reference: set) }, { ScreeningEngine(reference: set) })
            self.lookup = lookup
            self.engine = engine
            var byID: [String: Int] = [:]
            byID.reserveCapacity(set.items.count)
            for (i, item) in set.items.enumerated() { byID[item.id] = i }
            itemsByID = byID
        }

        public func item(id: String) -> ControlledItem? { itemsByID[id].map { set.items[$0] } }
    }

    public init(
        storage: StorageDatabase, reference: ReferenceSet, settings: WebSettings = WebSettings(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.clock = clock
        self.storage = storage
        self.accounts = AccountStore(storage: storage)
        self.audit = AuditLog(storage: storage)
        self.recorder = AuditRecorder(log: AuditLog(storage: storage))
        self.sessions = SessionStore(storage: storage)
        self.jobs = ScreeningJobStore(storage: storage)
        self.runner = ScreeningJobRunner(
            concurrency: settings.concurrentJobs, lease: settings.jobLease, pollInterval: settings.jobPollInterval)
        self.settings = settings
        self.current = Locked(ReferenceState(reference))
    }

    /// Opens the database (migrating it), installs the bundled lists when needed and builds the indexes.
    public static func open(database: String?, settings: WebSettings = WebSettings()) async throws -> WebServices {
        let provider = try await ReferenceProvider.open(database: database)
        do {
            let set = try await provider.referenceSet()
            return WebServices(storage: provider.storage, reference: set, settings: settings)
        } catch {
            await provider.close()
            throw error
        }
    }

    public var reference: ReferenceState { current.value }

    /// The enabled account that holds the unrevoked token with this digest (cached for `tokenLifetime`).
    func tokenOwner(digest: SHA256Digest, now: Date? = nil) async throws -> UserAccount? {
        if let account = cachedTokenOwner(digest: digest, now: now) { return account }
        return try await checkToken(digest)
    }

    /// The account of a token checked less than `tokenLifetime` ago, without waiting for the database; a check
    /// older than `tokenRecheck` starts the next one in the background.
    func cachedTokenOwner(digest: SHA256Digest, now: Date? = nil) -> UserAccount? {
        let now = now ?? clock()
        let (account, recheck) = tokens.update { $0.use(digest, now: now) }
        if recheck { Task { _ = try? await self.checkToken(digest) } }
        return account
    }

    /// Asks the database about a token: one query at a time per token, which concurrent callers share.
    func checkToken(_ digest: SHA256Digest) async throws -> UserAccount? {
        let check = tokenChecksUnderWay.update { underWay in
            // A check that began before `forgetTokens()` may have seen a token since revoked: not shared.
            let generation = tokens.update { $0.generation }
            if let running = underWay[digest], running.generation == generation { return running.task }
            let task = Task {
                defer {
                    self.tokenChecksUnderWay.update {
                        if $0[digest]?.generation == generation { $0[digest] = nil }
                    }
                }
                do {
                    // Trusted from when the query began: a revocation committed while it ran counts from then.
                    let asked = self.clock()
                    let owner = try await self.accounts.tokenOwner(tokenHash: Secrets.hex(digest))?.0
                    self.tokens.update { $0.store(owner, for: digest, at: asked, generation: generation) }
                    return owner
                } catch {
                    self.tokens.update { $0.checkFailed(digest) }
                    throw error
                }
            }
            underWay[digest] = (generation, task)
            return task
        }
        return try await check.value
    }

    /// Forgets cached token checks (after a revocation or an account change on this server); a check under way
    /// when this happens is not kept.
    func forgetTokens() { tokens.update { $0.forget() } }

    /// Rebuilds the reference state from the database (after an import).
    public func reloadReference() async throws {
        let set = try await ReferenceProvider(storage: storage).referenceSet()
        let state = ReferenceState(set)
        current.value = state
    }

    /// Queues an audit event: written within 100 ms, with the others of that moment, in one transaction (a busy API
    /// would otherwise write to disk once per request).
    func record(_ event: AuditEvent, logger: Logger) {
        recorder.enqueue(event)
    }

    /// Queues an event that may come in floods (forged forms, bad tokens, probes): events with the same actor, action,
    /// target and address within one write become one, saying how many there were.
    func recordCounted(_ event: AuditEvent, logger: Logger) {
        recorder.enqueueCounted(event)
    }

    /// The audit log with every queued event written.
    public func auditLog() async -> AuditLog {
        await recorder.flush()
        return audit
    }

    /// Starts this server's screening workers (`WebSettings.concurrentJobs` of them).
    func startWorkers(logger: Logger) { runner.start(services: self, logger: logger) }

    /// Housekeeping, run at start and every few minutes by `serve`: deletes expired sessions and uploads that
    /// stopped before they were complete, finishes jobs whose last part was committed by a server that stopped
    /// before finishing them, and deletes finished jobs older than `jobRetention`. Jobs whose server stopped
    /// mid-way need nothing: their parts' leases lapse and any server's workers take them over.
    public func maintain(now: Date? = nil, logger: Logger) async {
        let now = now ?? clock()
        do {
            let sessions = try await self.sessions.purgeExpired(now: now)
            let uploads = try await jobs.deleteAbandonedUploads(silentSince: now - Self.silentUploadLimit)
            for id in try await jobs.unfinishedCompleteJobs() {
                try await ScreeningJobRunner.finishIfComplete(id, services: self, logger: logger)
            }
            let old = try await jobs.deleteFinished(before: now - settings.jobRetention)
            if sessions + uploads + old > 0 {
                logger.info(
                    "housekeeping: \(sessions) expired session(s), \(uploads) unfinished upload(s) and \(old) old screening job(s) deleted"
                )
            }
        } catch {
            logger.error("housekeeping failed: \(String(reflecting: error))")
            record(
                AuditEvent(
                    at: now, actor: "system", action: .housekeepingFailed,
                    detail: String(String(reflecting: error).prefix(500))),
                logger: logger)
        }
    }

    /// An upload stores a part at least every few seconds while bytes arrive; one silent this long was cut off.
    static let silentUploadLimit: TimeInterval = 600

    public func shutdown() async {
        await runner.stopAll(services: self, logger: Logger(label: "greencustoms.jobs"))
        await recorder.flush()
        await storage.shutdown()
    }
}

/// Settings of the web app that are not in the database.
public struct WebSettings: Sendable {
    /// Session cookies carry `Secure` (set this when TLS is terminated in front of the app).
    public var secureCookies: Bool
    /// How long a browser session lasts without use.
    public var sessionLifetime: TimeInterval
    /// The largest request body accepted, in bytes (a declaration file upload).
    public var maximumBodyBytes: Int
    /// The most lines one API request may screen.
    public var maximumLinesPerRequest: Int
    /// The largest declaration file the screening page takes (it is screened in the background).
    public var maximumUploadBytes: Int
    /// Screening workers on this server: parts of jobs screened at once (0: this server screens none; another app
    /// server sharing the database does).
    public var concurrentJobs: Int
    /// Screening jobs one account may have not yet ended (receiving, queued or running) at once.
    public var jobsPerAccount: Int
    /// How long a claimed part of a job is this server's before another may take it over (its server died).
    public var jobLease: TimeInterval
    /// How often an idle worker looks for parts to screen (jobs accepted on another server).
    public var jobPollInterval: Duration
    /// The size of the parts a job's input is cut into.
    public var jobChunkBytes: Int
    /// The bearer token Prometheus sends to read `/metrics` (`METRICS_TOKEN`); without one, only loopback may read.
    public var metricsToken: String?
    /// How long finished screening jobs and their results are kept.
    public var jobRetention: TimeInterval

    public init(
        secureCookies: Bool = false, sessionLifetime: TimeInterval = 8 * 3600, maximumBodyBytes: Int = 16 << 20,
        maximumLinesPerRequest: Int = 10_000, maximumUploadBytes: Int = 256 << 20, concurrentJobs: Int = 2,
        jobsPerAccount: Int = 3, jobRetention: TimeInterval = 30 * 24 * 3600, jobLease: TimeInterval = 30,
        jobPollInterval: Duration = .seconds(1), jobChunkBytes: Int = 256 << 10, metricsToken: String? = nil
    ) {
        self.metricsToken = metricsToken.flatMap { $0.isEmpty ? nil : $0 }
        self.jobLease = jobLease
        self.jobPollInterval = jobPollInterval
        self.jobChunkBytes = jobChunkBytes
        self.secureCookies = secureCookies
        self.sessionLifetime = sessionLifetime
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumLinesPerRequest = maximumLinesPerRequest
        self.maximumUploadBytes = maximumUploadBytes
        self.concurrentJobs = concurrentJobs
        self.jobsPerAccount = jobsPerAccount
        self.jobRetention = jobRetention
    }
}

/// The token checks an app server trusts (see `WebServices.tokenOwner`).
struct TokenChecks: Sendable {
    struct Check: Sendable {
        var account: UserAccount
        var checked: Date
        var rechecking = false
    }
    private(set) var checks: [SHA256Digest: Check] = [:]
    /// Counts `forget()`s, so that a check that began before one is not stored after it.
    private(set) var generation = 0

    /// The account, while its check is younger than `tokenLifetime`, and whether to start the next check now.
    mutating func use(_ digest: SHA256Digest, now: Date) -> (UserAccount?, recheck: Bool) {
        guard var check = checks[digest] else { return (nil, false) }
        let age = now.timeIntervalSince(check.checked)
        guard age < WebServices.tokenLifetime else { return (nil, false) }
        guard age >= WebServices.tokenRecheck, !check.rechecking else { return (check.account, false) }
        check.rechecking = true
        checks[digest] = check
        return (check.account, true)
    }

    mutating func store(_ owner: UserAccount?, for digest: SHA256Digest, at date: Date, generation: Int) {
        guard generation == self.generation else { return }
        guard let owner else {
            checks[digest] = nil
            return
        }
        if checks.count >= 10_000 { checks.removeAll() }
        checks[digest] = Check(account: owner, checked: date)
    }

    /// A check that could not reach the database: the last one serves until it runs out, and the next request
    /// after `tokenRecheck` tries again.
    mutating func checkFailed(_ digest: SHA256Digest) { checks[digest]?.rechecking = false }

    mutating func forget() {
        checks.removeAll()
        generation += 1
    }
}

/// A value behind a lock.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    func update<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&stored) } }
}

/// Writes audit events in batches, in the order they were queued: at most 100 ms after the first of a batch, or at
/// once on `flush()`. A batch that cannot be written is logged with its events, so none is lost silently. Queuing
/// takes a lock, not an actor hop, so a request that records an event never leaves its event loop.
final class AuditRecorder: Sendable {
    let log: AuditLog
    let logger = Logger(label: "greencustoms.audit")
    private struct State: Sendable {
        var pending: [AuditEvent] = []
        /// API screenings since the last write, counted per account and address.
        var screenings: [ScreeningTally.Key: ScreeningTally] = [:]
        /// Events that come in floods, counted per actor, action, target and address.
        var counted: [CountedEvent.Key: CountedEvent] = [:]
        var timerArmed = false
        /// The last batch write; each waits for the one before it, so batches land in order.
        var tail: Task<Void, Never>?
    }
    private let state = Locked(State())

    init(log: AuditLog) { self.log = log }

    func enqueue(_ event: AuditEvent) {
        queue { $0.pending.append(event) }
    }

    /// Queues `event`, merged with the same actor's same action on the same target from the same address since the
    /// last write.
    func enqueueCounted(_ event: AuditEvent) {
        queue { state in
            let key = CountedEvent.Key(event)
            if state.counted[key] == nil {
                state.counted[key] = CountedEvent(event: event)
            } else {
                state.counted[key]?.add(at: event.at)
            }
        }
    }

    /// Counts one API screening request. The requests of one account from one address within a write's 100 ms
    /// become one event ("12 requests … 12 lines; lanes …", at the first one's time): a national system calling the
    /// API thousands of times a second would otherwise add a row per request, and writing them took a fifth of the
    /// server's time.
    func countScreening(actor: String, address: String, summary: ScreeningSummary, at date: Date = Date()) {
        queue {
            $0.screenings[ScreeningTally.Key(actor: actor, address: address), default: ScreeningTally(first: date)]
                .add(summary, at: date)
        }
    }

    /// Changes what is queued, and arms the write 100 ms ahead if none is armed.
    private func queue(_ change: (inout State) -> Void) {
        let arm = state.update { state in
            change(&state)
            defer { state.timerArmed = true }
            return !state.timerArmed
        }
        guard arm else { return }
        Task {
            try? await Task.sleep(for: .milliseconds(100))
            await self.flush()
        }
    }

    /// Writes everything queued so far and waits until it is written.
    func flush() async {
        let (log, logger) = (self.log, self.logger)
        let write = state.update { state in
            state.timerArmed = false
            let batch =
                state.pending
                + state.screenings.sorted { $0.value.first < $1.value.first }.map { $0.value.event(for: $0.key) }
                + state.counted.values.sorted { $0.event.at < $1.event.at }.map(\.merged)
            state.pending = []
            state.screenings = [:]
            state.counted = [:]
            let previous = state.tail
            let write = Task {
                await previous?.value
                guard !batch.isEmpty else { return }
                do { try await log.record(batch) } catch {
                    for event in batch {
                        logger.critical(
                            "audit event not written (\(String(reflecting: error))): \(event.action.rawValue) by \(event.actor) on \(event.target) at \(event.at): \(event.detail)"
                        )
                    }
                }
            }
            state.tail = write
            return write
        }
        await write.value
    }
}

/// The same event repeated between two writes of the audit log: written once, with how many times and over what span.
struct CountedEvent: Sendable {
    struct Key: Hashable, Sendable {
        var actor: String
        var action: AuditEvent.Action
        var target: String
        var address: String

        init(_ event: AuditEvent) {
            actor = event.actor
            action = event.action
            target = event.target
            address = event.address
        }
    }
    var event: AuditEvent
    var count = 1
    var last: Date

    init(event: AuditEvent) {
        self.event = event
        last = event.at
    }

    mutating func add(at date: Date) {
        count += 1
        last = max(last, date)
    }

    var merged: AuditEvent {
        guard count > 1 else { return event }
        var merged = event
        merged.detail += " (\(count) times in \(Int((last.timeIntervalSince(event.at) * 1000).rounded())) ms)"
        return merged
    }
}

/// API screening requests of one account from one address, counted between two writes of the audit log.
struct ScreeningTally: Sendable {
    struct Key: Hashable, Sendable {
        var actor: String
        var address: String
    }
    var first: Date
    var last: Date
    var requests = 0
    var summary = ScreeningSummary()

    init(first: Date) {
        self.first = first
        self.last = first
    }

    mutating func add(_ more: ScreeningSummary, at date: Date) {
        requests += 1
        last = max(last, date)
        summary.lines += more.lines
        for (lane, count) in more.lanes { summary.lanes[lane, default: 0] += count }
    }

    /// One request reads as it always has ("3 lines; lanes …"); several say how many and over which span.
    func event(for key: Key) -> AuditEvent {
        let lines = "\(summary.lines) lines; lanes \(summary.laneText)"
        let detail =
            requests == 1
            ? lines
            : "\(requests) requests in \(Int((last.timeIntervalSince(first) * 1000).rounded())) ms, \(lines)"
        return AuditEvent(
            at: first, actor: key.actor, action: .screening, target: "api", detail: detail, address: key.address)
    }
}
