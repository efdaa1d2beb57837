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

    private let entries = Mutex<(values: [String: Entry], generation: Int)>(([:], 0))
    /// Revocations of the last `ttl`, so a verification that raced a logout cannot cache the token again afterwards.
    private let recentlyRevoked = Mutex<[String: Timestamp]>([:])

    /// Changes with every `forgetAll`: a token verified before it must not be stored after it.
    var generation: Int { entries.withLock { $0.generation } }

    func lookup(_ token: String, now: Timestamp) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries.values[token] else { return nil }
            let expired = entry.token.expiresAt.map { $0 <= now } ?? false
            if expired || now.milliseconds(since: entry.cachedAt) > Self.ttlMilliseconds {
                entries.values[token] = nil
                return nil
            }
            return entry
        }
    }

    /// Keeps a token verified while the cache was at `generation`, unless the cache was cleared or the token logged
    /// out since.
    func store(_ token: String, _ entry: Entry, readAt generation: Int) {
        let revoked = recentlyRevoked.withLock { revoked in
            revoked = revoked.filter { entry.cachedAt.milliseconds(since: $0.value) <= Self.ttlMilliseconds }
            return entry.token.revocationHashes.contains { revoked[$0] != nil }
        }
        guard !revoked else { return }
        entries.withLock { entries in
            guard entries.generation == generation else { return }
            // Crude bound: a full cache starts over rather than tracking recency.
            if entries.values.count >= Self.capacity { entries.values.removeAll(keepingCapacity: true) }
            entries.values[token] = entry
        }
    }

    /// Forgets every spelling of a revoked token, and refuses to cache it again for a while.
    func forget(revocationHash: String, now: Timestamp = .now()) {
        recentlyRevoked.withLock { $0[revocationHash] = now }
        entries.withLock { entries in
            entries.values = entries.values.filter { !$0.value.token.revocationHashes.contains(revocationHash) }
        }
    }

    /// Forgets every token (news of logouts may have been missed).
    func forgetAll() {
        entries.withLock { entries in
            entries.values.removeAll()
            entries.generation &+= 1
        }
    }
}
