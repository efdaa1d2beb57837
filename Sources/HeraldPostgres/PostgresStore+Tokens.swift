import HeraldCore
import PostgresNIO

extension PostgresStore {
    public func revokeToken(hash: String, expiresAt: Timestamp) async throws {
        let now = Timestamp.now().milliseconds
        try await perform { client in
            try await client.query(
                "INSERT INTO revoked_tokens (token_hash, expires_at) VALUES (\(hash), \(expiresAt.milliseconds)) ON CONFLICT (token_hash) DO NOTHING"
            ).drain()
            // Records of tokens that have expired anyway are swept here, where new ones are written.
            try await client.query("DELETE FROM revoked_tokens WHERE expires_at < \(now)").drain()
        }
    }

    public func isTokenRevoked(hashes: [String]) async throws -> Bool {
        var bindings = Bindings()
        bindings.add(hashes)
        let statement = bindings.prepared(Statements.RevokedToken.self)
        return try await perform { client in !(try await client.rows(statement).isEmpty) }
    }
}
