import Foundation
import HeraldCore
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Takes the key in one atomic upsert, so two instances racing for the same key cannot both run the request.
    public func claimIdempotencyKey(_ key: String, now: Timestamp, lockUntil: Timestamp) async throws -> IdempotencyClaim {
        let (now, lockUntil) = (now.milliseconds, lockUntil.milliseconds)
        return try await perform { client in
            // Committed before the request runs: a claim lost with a failover would let a retry run it twice.
            let taken = try await client.committedRows(
                """
                INSERT INTO idempotency_keys AS k (key, state, lock_until, response, expires_at)
                VALUES (\(key), 'started', \(lockUntil), NULL, \(lockUntil))
                ON CONFLICT (key) DO UPDATE SET state = 'started', lock_until = excluded.lock_until, response = NULL,
                    expires_at = excluded.expires_at
                WHERE k.expires_at <= \(now) OR (k.state = 'started' AND k.lock_until <= \(now))
                RETURNING 1
                """
            )
            if !taken.isEmpty {
                // Expired keys are swept here, on the write path that creates them, so the table stays bounded.
                try await client.run("DELETE FROM idempotency_keys WHERE expires_at < \(now)")
                return .acquired
            }
            let existing = try await client.rows("SELECT state, response FROM idempotency_keys WHERE key = \(key)").first
            guard let existing, try existing.value("state", as: String.self) == "completed",
                let response = try existing.bytes("response")
            else { return .inProgress }
            return .completed(try StoredResponse(sealed: response, sealer: self.sealer, key: key))
        }
    }

    public func completeIdempotencyKey(_ key: String, response: StoredResponse, resourceID: String?, expiresAt: Timestamp) async throws {
        let sealed = ByteBuffer(bytes: try response.sealed(with: sealer, key: key))
        _ = try await perform { client in
            try await client.committedRows(
                """
                UPDATE idempotency_keys SET state = 'completed', lock_until = NULL, response = \(sealed),
                    resource_id = \(resourceID), expires_at = \(expiresAt.milliseconds)
                WHERE key = \(key)
                """
            )
        }
    }

    public func releaseIdempotencyKey(_ key: String) async throws {
        try await perform { client in
            try await client.run("DELETE FROM idempotency_keys WHERE key = \(key) AND state = 'started'")
        }
    }
}
