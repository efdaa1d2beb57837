import HeraldCore
import Synchronization

/// Tokens already verified, so the hot path (one client sending many messages with one token) skips the HMAC check,
/// the JSON parsing and the revocation lookup. An entry is used only until the token's own expiry and for at most
/// `ttl`; a logout clears it at once. When several instances share the database the revocation lookup is made on
/// every request anyway (see `AuthMiddleware`), so a logout made on one holds on every other at once.
final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        var token: VerifiedToken
        var cachedAt: Timestamp
    }

    static let capacity = 4096
    static let ttlMilliseconds: Int64 = 2000

    private let entries = Mutex<[String: Entry]>([:])
    /// Revocations of the last `ttl`, so a verification that raced a logout cannot cache the token again afterwards.
    private let recentlyRevoked = Mutex<[String: Timestamp]>([:])

    func lookup(_ token: String, now: Timestamp) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            let expired = entry.token.expiresAt.map { $0 <= now } ?? false
            if expired || now.milliseconds(since: entry.cachedAt) > Self.ttlMilliseconds {
                entries[token] = nil
                return nil
            }
            return entry
        }
    }

    func store(_ token: String, _ entry: Entry) {
        let revoked = recentlyRevoked.withLock { revoked in
            revoked = revoked.filter { entry.cachedAt.milliseconds(since: $0.value) <= Self.ttlMilliseconds }
            return entry.token.revocationHashes.contains { revoked[$0] != nil }
        }
        guard !revoked else { return }
        entries.withLock { entries in
            // Crude bound: a full cache starts over rather than tracking recency.
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = entry
        }
    }

    /// Forgets every spelling of a revoked token, and refuses to cache it again for a while.
    func forget(revocationHash: String, now: Timestamp = .now()) {
        recentlyRevoked.withLock { $0[revocationHash] = now }
        entries.withLock { entries in
            entries = entries.filter { $0.value.token.revocationHashes.first != revocationHash }
        }
    }
}
