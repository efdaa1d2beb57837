import Foundation
import GRDB
import HeraldCore

extension SQLiteStore {
    public func claimIdempotencyKey(_ key: String, now: Timestamp, lockUntil: Timestamp) async throws -> IdempotencyClaim {
        try await pool.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM idempotency_keys WHERE key = ?", arguments: [key]) {
                let expiresAt: Int64 = row["expires_at"]
                let state: String = row["state"]
                if state == "completed", expiresAt > now.milliseconds, let data: Data = row["response"] {
                    return .completed(try StoredResponse(sealed: Array(data), sealer: sealer, key: key))
                }
                let lockedUntil: Int64? = row["lock_until"]
                if state == "started", let lockedUntil, lockedUntil > now.milliseconds {
                    return .inProgress
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO idempotency_keys (key, state, lock_until, response, expires_at) VALUES (?, 'started', ?, NULL, ?)
                    ON CONFLICT (key) DO UPDATE SET state = 'started', lock_until = excluded.lock_until, response = NULL,
                        expires_at = excluded.expires_at
                    """,
                arguments: [key, lockUntil.milliseconds, lockUntil.milliseconds]
            )
            // Expired keys are swept here, on the write path that creates them, so the table stays bounded.
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE expires_at < ?", arguments: [now.milliseconds])
            return .acquired
        }
    }

    public func completeIdempotencyKey(_ key: String, response: StoredResponse, resourceID: String?, expiresAt: Timestamp) async throws {
        let sealed = Data(try response.sealed(with: sealer, key: key))
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE idempotency_keys SET state = 'completed', lock_until = NULL, response = ?, resource_id = ?, expires_at = ?
                    WHERE key = ?
                    """,
                arguments: [sealed, resourceID, expiresAt.milliseconds, key]
            )
        }
    }

    public func releaseIdempotencyKey(_ key: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE key = ? AND state = 'started'", arguments: [key])
        }
    }
}
