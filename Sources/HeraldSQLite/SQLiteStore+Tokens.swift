import GRDB
import HeraldCore

extension SQLiteStore {
    public func revokeToken(hash: String, expiresAt: Timestamp) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO revoked_tokens (token_hash, expires_at) VALUES (?, ?) ON CONFLICT (token_hash) DO NOTHING",
                arguments: [hash, expiresAt.milliseconds]
            )
            // Records of tokens that have expired anyway are swept here, where new ones are written.
            try db.execute(sql: "DELETE FROM revoked_tokens WHERE expires_at < ?", arguments: [Timestamp.now().milliseconds])
        }
    }

    public func isTokenRevoked(hashes: [String]) async throws -> Bool {
        guard !hashes.isEmpty else { return false }
        let marks = Array(repeating: "?", count: hashes.count).joined(separator: ", ")
        return try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE token_hash IN (\(marks)))",
                arguments: StatementArguments(hashes)
            ) ?? false
        }
    }
}
