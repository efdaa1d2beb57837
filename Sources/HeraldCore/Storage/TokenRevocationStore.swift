/// Tokens ended before their expiry (logout), shared by every instance.
public protocol TokenRevocationStore: Sendable {
    /// Records that the token with this hash is no longer valid; the record can go once the token would have expired.
    func revokeToken(hash: String, expiresAt: Timestamp) async throws
    /// Whether a revocation is recorded under any of these hashes.
    func isTokenRevoked(hashes: [String]) async throws -> Bool
}
