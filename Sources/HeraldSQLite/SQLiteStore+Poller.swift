import GRDB
import HeraldCore
import HeraldSQL

extension SQLiteStore {
    public func readFeed(endpointID: String, query: FeedQuery) async throws -> FeedPage {
        let scan = FeedScan(query: query)
        let rows = try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT f.seq AS feed_seq, m.* FROM poller_feed f JOIN messages m ON m.id = f.msg_id
                    WHERE f.endpoint_id = ? AND f.seq > ? ORDER BY f.seq LIMIT ?
                    """,
                arguments: [endpointID, query.after.sequence, scan.scanLimit]
            ).map { row in FeedEntry(position: FeedPosition(transaction: 0, sequence: row["feed_seq"]), message: try Message(stored: row)) }
        }
        return scan.select(from: rows)
    }

    public func consumerPosition(endpointID: String, consumerID: String) async throws -> FeedPosition? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT position_transaction, position_sequence FROM poller_consumers WHERE endpoint_id = ? AND consumer_id = ?",
                arguments: [endpointID, consumerID]
            ).map { FeedPosition(transaction: $0["position_transaction"], sequence: $0["position_sequence"]) }
        }
    }

    public func saveConsumerPosition(endpointID: String, consumerID: String, position: FeedPosition, now: Timestamp) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO poller_consumers (endpoint_id, consumer_id, position_transaction, position_sequence, updated_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (endpoint_id, consumer_id) DO UPDATE SET position_transaction = excluded.position_transaction,
                        position_sequence = excluded.position_sequence, updated_at = excluded.updated_at
                    """,
                arguments: [endpointID, consumerID, position.transaction, position.sequence, now.milliseconds]
            )
        }
    }

    public func feedPosition(endpointID: String, before time: Timestamp) async throws -> FeedPosition {
        try await pool.read { db in
            if let first = try Int64.fetchOne(
                db,
                sql: "SELECT MIN(seq) FROM poller_feed WHERE endpoint_id = ? AND created_at > ?",
                arguments: [endpointID, time.milliseconds]
            ) {
                return FeedPosition(transaction: 0, sequence: first - 1)
            }
            let last = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM poller_feed WHERE endpoint_id = ?", arguments: [endpointID])
            return FeedPosition(transaction: 0, sequence: last ?? 0)
        }
    }
}
