import HeraldCore
import Synchronization

/// Tokens already verified, so the hot path (one client sending many messages with one token) skips the HMAC check,
/// the JSON parsing and the revocation lookup. An entry is used only until the token's own expiry and for at most
/// `ttl`; a logout clears it at once — on another instance sharing the database, when the logout's news arrive
/// (`SharedChangeNews`); while news are not followed there, the revocation is read on every request
/// (`AuthMiddleware`).
final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        var token: VerifiedToken
        var cachedAt: Timestamp
    }

    static let capacity = 4096
    static let ttlMilliseconds: Int64 = 2000

    private struct State {
        var values: [String: Entry] = [:]
        /// Changes with every clear: a token verified before it must not be stored after it.
        var generation = 0
        /// Revocations of the last `ttl`, so a verification that raced a logout cannot cache the token again afterwards.
        var recentlyRevoked: [String: Timestamp] = [:]
    }

    /// One lock for the tokens and the revocations, so a logout cannot fall between a store's check and its insert.
    private let state = Mutex(State())

    var generation: Int { state.withLock { $0.generation } }

    func lookup(_ token: String, now: Timestamp) -> Entry? {
        state.withLock { state in
            guard let entry = state.values[token] else { return nil }
            let expired = entry.token.expiresAt.map { $0 <= now } ?? false
            if expired || !Self.isRecent(entry.cachedAt, now: now) {
                state.values[token] = nil
                return nil
            }
            return entry
        }
    }

    /// Keeps a token verified while the cache was at `generation`, unless the cache was cleared or the token logged
    /// out since.
    func store(_ token: String, _ entry: Entry, readAt generation: Int) {
        state.withLock { state in
            guard state.generation == generation else { return }
            state.recentlyRevoked = state.recentlyRevoked.filter { Self.isRecent($0.value, now: entry.cachedAt) }
            guard !entry.token.revocationHashes.contains(where: { state.recentlyRevoked[$0] != nil }) else { return }
            // Crude bound: a full cache starts over rather than tracking recency.
            if state.values.count >= Self.capacity { state.values.removeAll(keepingCapacity: true) }
            state.values[token] = entry
        }
    }

    /// Forgets every spelling of a revoked token, and refuses to cache it again for a while.
    func forget(revocationHash: String, now: Timestamp = .now()) {
        state.withLock { state in
            state.values = state.values.filter { !$0.value.token.revocationHashes.contains(revocationHash) }
            state.recentlyRevoked[revocationHash] = now
            guard state.recentlyRevoked.count > Self.capacity else { return }
            state.recentlyRevoked = state.recentlyRevoked.filter { Self.isRecent($0.value, now: now) }
            // A flood of logouts: start over rather than keep a list that only grows (what was verified before this
            // cannot be stored after it).
            if state.recentlyRevoked.count > Self.capacity { Self.clear(&state) }
        }
    }

    /// Forgets every token (news of logouts may have been missed).
    func forgetAll() {
        state.withLock { Self.clear(&$0) }
    }

    private static func clear(_ state: inout State) {
        state.values.removeAll()
        state.recentlyRevoked.removeAll()
        state.generation &+= 1
    }

    /// Within the time to live of `now`; a time ahead of `now` (the wall clock stepped back) is not.
    private static func isRecent(_ time: Timestamp, now: Timestamp) -> Bool {
        let age = now.milliseconds(since: time)
        return age >= 0 && age <= ttlMilliseconds
    }
}
