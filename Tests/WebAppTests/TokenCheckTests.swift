import Foundation
import GreenCustomsCore
import GreenCustomsTestSupport
import Testing
import VaporTesting

@testable import WebApp

/// How an app server trusts API tokens between database checks: a check serves for `tokenLifetime`, the next one
/// starts in the background after `tokenRecheck`, concurrent checks of one token are one query, and nothing checked
/// before a revocation on this server outlives it.
@Suite("Token checks")
struct TokenCheckTests {
    static let account = UserAccount(
        id: UUID(), name: "analyst1", role: .analyst, disabled: false, createdAt: Date(timeIntervalSince1970: 0))
    static let digest = Secrets.rawDigest("gct_example-token")

    @Test("A check serves until tokenLifetime; one background re-check starts after tokenRecheck")
    func lifetimes() {
        var checks = TokenChecks()
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        #expect(checks.use(Self.digest, now: t0) == (nil, false))
        checks.store(Self.account, for: Self.digest, at: t0, generation: checks.generation)
        #expect(checks.use(Self.digest, now: t0 + 1) == (Self.account, false))
        #expect(checks.use(Self.digest, now: t0 + WebServices.tokenRecheck) == (Self.account, true))
        // One re-check at a time: the next requests are served without starting another.
        #expect(checks.use(Self.digest, now: t0 + WebServices.tokenRecheck + 1) == (Self.account, false))
        // A re-check that failed lets the next request try again.
        checks.checkFailed(Self.digest)
        #expect(checks.use(Self.digest, now: t0 + WebServices.tokenRecheck + 1) == (Self.account, true))
        // Past the lifetime nothing is served from the cache, whatever happened to the re-check.
        #expect(checks.use(Self.digest, now: t0 + WebServices.tokenLifetime) == (nil, false))
        // A check that found the token gone removes it.
        checks.store(nil, for: Self.digest, at: t0 + 2, generation: checks.generation)
        #expect(checks.use(Self.digest, now: t0 + 3) == (nil, false))
        #expect(WebServices.tokenRecheck < WebServices.tokenLifetime)
    }

    @Test("A check that began before forgetting is not stored after it")
    func forgetting() {
        var checks = TokenChecks()
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let before = checks.generation
        checks.store(Self.account, for: Self.digest, at: t0, generation: before)
        checks.forget()
        #expect(checks.use(Self.digest, now: t0 + 1) == (nil, false))
        checks.store(Self.account, for: Self.digest, at: t0 + 1, generation: before)
        #expect(checks.use(Self.digest, now: t0 + 2) == (nil, false))
        checks.store(Self.account, for: Self.digest, at: t0 + 1, generation: checks.generation)
        #expect(checks.use(Self.digest, now: t0 + 2) == (Self.account, false))
    }

    @Test("Concurrent checks of one token agree; a revocation elsewhere is seen by the background re-check")
    func backgroundRecheck() async throws {
        // The app's clock stands still unless the test moves it: however slow the machine, the checks below happen
        // at t0, and "later" is exactly tokenRecheck after them.
        let clock = ManualClock()
        let t0 = clock.now
        try await WebHarness.run(clock: clock.read) { web in
            let token = try await web.account("analyst1", role: .analyst)
            let digest = Secrets.rawDigest(token)
            let services = web.services
            let owners = try await withThrowingTaskGroup(of: UserAccount?.self) { group in
                for _ in 0..<50 { group.addTask { try await services.checkToken(digest) } }
                return try await group.reduce(into: [UserAccount?]()) { $0.append($1) }
            }
            #expect(owners.count == 50 && owners.allSatisfy { $0?.name == "analyst1" })
            #expect(services.cachedTokenOwner(digest: digest)?.name == "analyst1")
            // Revoked by the CLI (another process): the last check still serves, and a request after tokenRecheck
            // starts the next one, which finds the token gone.
            try await services.accounts.revokeToken(Secrets.displayPrefix(token))
            clock.now = t0 + WebServices.tokenRecheck
            #expect(services.cachedTokenOwner(digest: digest)?.name == "analyst1")
            var gone = false
            for _ in 0..<200 where !gone {
                try await Task.sleep(for: .milliseconds(10))
                gone = services.cachedTokenOwner(digest: digest) == nil
            }
            #expect(gone, "the background re-check did not see the revocation")
            #expect(
                try await web.screen(#"{"lines":[{"line_id":"1","hs_code":"2903.71"}]}"#, token: token).status
                    == .unauthorized)
        }
    }

    @Test("After a revocation on this server, no check that began before it is shared or kept")
    func revocationHere() async throws {
        try await WebHarness.run { web in
            let token = try await web.account("analyst2", role: .analyst)
            let digest = Secrets.rawDigest(token)
            #expect(try await web.services.checkToken(digest)?.name == "analyst2")
            try await web.services.accounts.revokeToken(Secrets.displayPrefix(token))
            web.services.forgetTokens()
            #expect(web.services.cachedTokenOwner(digest: digest) == nil)
            #expect(try await web.services.tokenOwner(digest: digest) == nil)
        }
    }
}
