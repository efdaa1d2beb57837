import HeraldCore
import HeraldSQL
import PostgresNIO

extension PostgresStore {
    public func readFeed(endpointID: String, query: FeedQuery) async throws -> FeedPage {
        let scan = FeedScan(query: query)
        var bindings = Bindings()
        bindings.add(endpointID)
        bindings.add(query.after.transaction)
        bindings.add(query.after.sequence)
        bindings.add(scan.scanLimit)
        let statement = bindings.statement(Statements.ReadFeed.self)
        let scanned = try await perform { client in
            try await client.rows(statement).map { row in
                FeedEntry(
                    position: FeedPosition(transaction: try row.value("feed_xid"), sequence: try row.value("feed_seq")),
                    message: try Message(stored: row)
                )
            }
        }
        return scan.select(from: scanned)
    }

    public func consumerPosition(endpointID: String, consumerID: String) async throws -> FeedPosition? {
        try await perform { client in
            try await client.rows(
                """
                SELECT position_transaction, position_sequence FROM poller_consumers
                WHERE endpoint_id = \(endpointID) AND consumer_id = \(consumerID)
                """
            ).first.map {
                FeedPosition(transaction: try $0.value("position_transaction"), sequence: try $0.value("position_sequence"))
            }
        }
    }

    public func saveConsumerPosition(endpointID: String, consumerID: String, position: FeedPosition, now: Timestamp) async throws {
        _ = try await perform { client in
            try await client.committedRows(
                """
                INSERT INTO poller_consumers (endpoint_id, consumer_id, position_transaction, position_sequence, updated_at)
                VALUES (\(endpointID), \(consumerID), \(position.transaction), \(position.sequence), \(now.milliseconds))
                ON CONFLICT (endpoint_id, consumer_id) DO UPDATE SET position_transaction = excluded.position_transaction,
                    position_sequence = excluded.position_sequence, updated_at = excluded.updated_at
                """
            )
        }
    }

    public func feedPosition(endpointID: String, before time: Timestamp) async throws -> FeedPosition {
        try await perform { client in
            if let first = try await client.rows(
                """
                SELECT xid, seq FROM poller_feed
                WHERE endpoint_id = \(endpointID) AND created_at > \(time.milliseconds) AND xid < \(unescaped: feedHorizon)
                ORDER BY xid, seq LIMIT 1
                """
            ).first {
                return FeedPosition(transaction: try first.value("xid"), sequence: try first.value("seq", as: Int64.self) - 1)
            }
            let last = try await client.rows(
                """
                SELECT xid, seq FROM poller_feed WHERE endpoint_id = \(endpointID) AND xid < \(unescaped: feedHorizon)
                ORDER BY xid DESC, seq DESC LIMIT 1
                """
            ).first
            return try last.map { FeedPosition(transaction: try $0.value("xid"), sequence: try $0.value("seq")) } ?? .start
        }
    }
}
