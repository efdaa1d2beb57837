import HeraldCore
import Testing

@testable import HeraldAPI

/// The cache of verified tokens never answers for a token logged out, or cleared, after it was verified.
struct VerifiedTokenCacheTests {
    static let now = Timestamp(milliseconds: 1_800_000_000_000)

    static func entry(hashes: [String] = ["first", "second"], at time: Timestamp = now) -> VerifiedTokenCache.Entry {
        .init(token: VerifiedToken(principal: .organization("org_1"), expiresAt: nil, revocationHashes: hashes), cachedAt: time)
    }

    @Test func aVerifiedTokenIsKeptForItsTimeToLive() {
        let cache = VerifiedTokenCache()
        cache.store("token", Self.entry(), readAt: cache.generation)
        #expect(cache.lookup("token", now: Self.now.adding(milliseconds: VerifiedTokenCache.ttlMilliseconds)) != nil)
        #expect(cache.lookup("token", now: Self.now.adding(milliseconds: VerifiedTokenCache.ttlMilliseconds + 1)) == nil)
    }

    /// A verification that raced a logout (it read the revocation before the logout committed) is not kept.
    @Test func aTokenLoggedOutWhileBeingVerifiedIsNotKept() {
        let cache = VerifiedTokenCache()
        let generation = cache.generation
        cache.forget(revocationHash: "second", now: Self.now)
        cache.store("token", Self.entry(), readAt: generation)
        #expect(cache.lookup("token", now: Self.now) == nil)
    }

    @Test func aLogoutForgetsTheTokenUnderAnyOfItsHashes() {
        let cache = VerifiedTokenCache()
        cache.store("token", Self.entry(), readAt: cache.generation)
        cache.forget(revocationHash: "second", now: Self.now)
        #expect(cache.lookup("token", now: Self.now) == nil)
    }

    /// News may have been missed: what was verified before the clear is not stored after it.
    @Test func aTokenVerifiedBeforeEverythingWasForgottenIsNotKept() {
        let cache = VerifiedTokenCache()
        let generation = cache.generation
        cache.forgetAll()
        cache.store("token", Self.entry(), readAt: generation)
        #expect(cache.lookup("token", now: Self.now) == nil)
        cache.store("token", Self.entry(), readAt: cache.generation)
        #expect(cache.lookup("token", now: Self.now) != nil)
    }

    /// A wall clock stepped back does not stretch an entry's life.
    @Test func anEntryFromTheFutureIsNotUsed() {
        let cache = VerifiedTokenCache()
        cache.store("token", Self.entry(at: Self.now.adding(milliseconds: 60_000)), readAt: cache.generation)
        #expect(cache.lookup("token", now: Self.now) == nil)
    }

    /// A flood of logouts does not grow the list of recent ones without bound; starting over refuses what was
    /// verified before.
    @Test func aFloodOfLogoutsStartsOver() {
        let cache = VerifiedTokenCache()
        let generation = cache.generation
        for n in 0...VerifiedTokenCache.capacity { cache.forget(revocationHash: "hash\(n)", now: Self.now) }
        #expect(cache.generation != generation)
        cache.store("token", Self.entry(hashes: ["hash0"]), readAt: generation)
        #expect(cache.lookup("token", now: Self.now) == nil)
    }
}
