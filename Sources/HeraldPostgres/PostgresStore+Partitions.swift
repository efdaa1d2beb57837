import HeraldCore
import Logging
import PostgresNIO

/// One time partition of messages (by id) and attempts (by message id): the messages accepted from `lowerSeconds` to
/// `upperSeconds` — message ids begin with a KSUID, which sorts by time, so a time range is an id range. The bounds are
/// in the tables' names (`messages_p<lower>_<upper>`, `attempts_p…`); a lower bound of 0 is the history partition,
/// from MINVALUE, which holds what an upgrade found.
struct TimePartition: Hashable, Comparable {
    let lowerSeconds: Int64
    let upperSeconds: Int64

    /// Beyond any time a KSUID can hold: a name with a larger bound is not one of ours.
    static let latestSeconds: Int64 = 6_000_000_000

    init?(lowerSeconds: Int64, upperSeconds: Int64) {
        guard 0 <= lowerSeconds, lowerSeconds < upperSeconds, upperSeconds <= Self.latestSeconds else { return nil }
        self.lowerSeconds = lowerSeconds
        self.upperSeconds = upperSeconds
    }

    /// The partition a messages partition's name describes, if it is one of Herald's.
    init?(messagesTable name: String) {
        guard name.hasPrefix("messages_p") else { return nil }
        let bounds = name.dropFirst("messages_p".count).split(separator: "_", omittingEmptySubsequences: false)
        guard bounds.count == 2, bounds.allSatisfy({ !$0.isEmpty && $0.count <= 10 && $0.allSatisfy(\.isASCII) }),
            let lower = Int64(bounds[0]), let upper = Int64(bounds[1])
        else { return nil }
        self.init(lowerSeconds: lower, upperSeconds: upper)
    }

    var messagesTable: String { "messages_p\(lowerSeconds)_\(upperSeconds)" }
    var attemptsTable: String { "attempts_p\(lowerSeconds)_\(upperSeconds)" }
    var isHistory: Bool { lowerSeconds == 0 }
    var lower: Timestamp { Timestamp(milliseconds: lowerSeconds * 1000) }
    var upper: Timestamp { Timestamp(milliseconds: upperSeconds * 1000) }
    /// The first message id after the partition.
    var upperID: String { IDPrefix.message.startID(timestampMs: upperSeconds * 1000) }
    /// The partition's range in `FOR VALUES`; ids are base62, so they go into DDL as literals safely.
    var bounds: String {
        let lowerBound = isHistory ? "MINVALUE" : "'\(IDPrefix.message.startID(timestampMs: lowerSeconds * 1000))'"
        return "FROM (\(lowerBound)) TO ('\(upperID)')"
    }
    /// Which message ids (in `column`) belong to it, for statements on the unpartitioned tables.
    func holds(_ column: String) -> String {
        let below = "\(column) < '\(upperID)'"
        return isHistory ? below : "\(column) >= '\(IDPrefix.message.startID(timestampMs: lowerSeconds * 1000))' AND \(below)"
    }

    static func < (left: TimePartition, right: TimePartition) -> Bool { left.lowerSeconds < right.lowerSeconds }

    /// The history partition an upgrade puts existing rows in: everything before the next whole minute.
    static func history(now: Timestamp) -> TimePartition? {
        TimePartition(lowerSeconds: 0, upperSeconds: (now.seconds / 60 + 1) * 60)
    }
}

extension PostgresStore {
    /// Serialises instances creating or dropping partitions at the same moment (the other one skips its turn).
    static let partitionLockKey: Int64 = PostgresMigrations.lockKey + 1
    /// Rows one deletion of a dropped partition's deliveries, feed entries or event ids removes at most.
    static let partitionChunkRows = 5_000

    /// How far ahead partitions exist: several widths, and at least half an hour, so a few failed rounds of upkeep
    /// leave nothing to the default partition.
    static func horizonSeconds(widthSeconds: Int64) -> Int64 { max(3 * widthSeconds, 1_800) }

    public func maintainPartitions(now: Timestamp, cutoff: Timestamp?, widthSeconds: Int64) async throws -> PartitionUpkeep {
        let partitions = try await timePartitions()
        var upkeep = PartitionUpkeep(rowsBefore: cutoff)
        do {
            try await createPartitions(now: now, widthSeconds: widthSeconds)
        } catch {
            upkeep.failures.append("creating time partitions failed: \(error)")
        }
        guard let cutoff else { return upkeep }
        for partition in partitions where partition.upper <= cutoff {
            do {
                if try await dropPartition(partition) { upkeep.dropped += 1 }
            } catch {
                upkeep.failures.append("dropping time partition \(partition.messagesTable) failed: \(error)")
            }
        }
        // The partition the cutoff falls in waits to be dropped whole; before it, rows are pruned one by one (those of
        // partitions kept by an open delivery, or of none). The history partition is pruned row by row, as before.
        if let current = partitions.first(where: { $0.lower <= cutoff && cutoff < $0.upper }), !current.isHistory {
            upkeep.rowsBefore = current.lower
        }
        return upkeep
    }

    /// The time partitions, oldest first.
    func timePartitions() async throws -> [TimePartition] {
        let names: [String] = try await perform { client in
            try await client.rows(
                """
                SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'messages'::regclass
                """
            ).map { try $0.value("name") }
        }
        return names.compactMap(TimePartition.init(messagesTable:)).sorted()
    }

    /// Creates the partitions from the last one (or, after a gap the default partition filled, from a minute
    /// ahead) to the horizon, each ending on a multiple of `widthSeconds`. Attaching takes no lock that stops reads or
    /// writes of the other partitions.
    func createPartitions(now: Timestamp, widthSeconds: Int64) async throws {
        let width = min(max(widthSeconds, PartitionWidth.minimumSeconds), PartitionWidth.maximumSeconds)
        let horizon = now.seconds + Self.horizonSeconds(widthSeconds: width)
        let logger = self.logger
        try await transaction { connection in
            guard try await Self.takePartitionLock(connection, logger: logger) else { return }
            let existing = try await connection.rows(
                """
                SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'messages'::regclass
                """,
                logger: logger
            ).compactMap { TimePartition(messagesTable: try $0.value("name")) }.sorted()
            var start = existing.last?.upperSeconds ?? 0
            if start < horizon, try await Self.defaultHoldsRows(from: start, connection, logger: logger) {
                // The default partition took rows after the last partition: a new one must begin after them.
                start = max(start, ((now.seconds + 60) / width + 1) * width)
            }
            if start == 0 { start = (now.seconds / width) * width }
            var created = 0
            while start < horizon, created < 64, let partition = TimePartition(lowerSeconds: start, upperSeconds: (start / width + 1) * width) {
                for (parent, table) in [("messages", partition.messagesTable), ("attempts", partition.attemptsTable)] {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "CREATE TABLE \(table) (LIKE \(parent) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"),
                        logger: logger
                    ).drain()
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "ALTER TABLE \(parent) ATTACH PARTITION \(table) FOR VALUES \(partition.bounds)"),
                        logger: logger
                    ).drain()
                }
                start = partition.upperSeconds
                created += 1
            }
            if created > 0 {
                logger.debug("created \(created) time partitions", metadata: ["herald.until": "\(Timestamp(milliseconds: start * 1000))"])
            }
        }
    }

    /// Whether the default partition holds messages from `seconds` on (found through its primary key).
    private static func defaultHoldsRows(from seconds: Int64, _ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let first = IDPrefix.message.startID(timestampMs: seconds * 1000)
        return try await !connection.rows("SELECT 1 AS found FROM messages_default WHERE id >= \(first) LIMIT 1", logger: logger).isEmpty
    }

    /// Takes the partition lock for this transaction, waiting at most briefly for any table lock after it.
    private static func takePartitionLock(_ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let taken = try await connection.rows("SELECT pg_try_advisory_xact_lock(\(partitionLockKey)) AS taken", logger: logger)
        guard try taken.first?.value("taken", as: Bool.self) == true else { return false }
        // Waiting behind a long transaction would queue every query on the table behind this one: give up instead
        // and try again at the next round.
        try await connection.query("SET LOCAL lock_timeout = '1s'", logger: logger).drain()
        return true
    }

    /// Drops a partition whose messages have no delivery still open: first their deliveries, feed entries and event
    /// ids, in chunks, then both tables at once. Returns false, keeping it, while a delivery is open.
    func dropPartition(_ partition: TimePartition) async throws -> Bool {
        let open = try await perform { client in
            try await client.rows(
                PostgresQuery(
                    unsafeSQL: "SELECT 1 AS open FROM deliveries WHERE next_attempt_at IS NOT NULL AND \(partition.holds("msg_id")) LIMIT 1"
                )
            )
        }
        guard open.isEmpty else { return false }
        for (table, key) in [("deliveries", "id"), ("poller_feed", "ctid"), ("message_event_ids", "ctid")] {
            while true {
                let sql =
                    "DELETE FROM \(table) WHERE \(key) = ANY(ARRAY(SELECT \(key) FROM \(table) WHERE \(partition.holds("msg_id")) LIMIT \(Self.partitionChunkRows)))"
                let deleted = try await perform { client in
                    try await client.rows(PostgresQuery(unsafeSQL: sql + " RETURNING 1 AS deleted")).count
                }
                if deleted < Self.partitionChunkRows { break }
            }
        }
        let logger = self.logger
        return try await transaction { connection in
            guard try await Self.takePartitionLock(connection, logger: logger) else { return false }
            try await connection.query("LOCK TABLE messages, attempts IN ACCESS EXCLUSIVE MODE", logger: logger).drain()
            // A resend may have queued a delivery since: the message stays, and the partition with it.
            let queued = try await connection.rows(
                PostgresQuery(unsafeSQL: "SELECT 1 AS queued FROM deliveries WHERE \(partition.holds("msg_id")) LIMIT 1"),
                logger: logger
            )
            guard queued.isEmpty else { return false }
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(partition.messagesTable), \(partition.attemptsTable)"),
                logger: logger
            ).drain()
            return true
        }
    }
}
