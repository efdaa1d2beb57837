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
        guard bounds.count == 2, bounds.allSatisfy({ !$0.isEmpty && $0.count <= 10 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
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
        TimePartition(lowerSeconds: 0, upperSeconds: (seconds(of: now) / 60 + 1) * 60)
    }

    /// A time in Unix seconds, within what a partition bound can be: the arithmetic on it never overflows, whatever
    /// time a caller passes.
    static func seconds(of time: Timestamp) -> Int64 {
        min(max(time.seconds, 0), latestSeconds)
    }
}

extension PostgresStore {
    /// Serialises instances creating or dropping partitions at the same moment (the other one skips its turn).
    static let partitionLockKey: Int64 = PostgresMigrations.lockKey + 1
    /// Rows one deletion of a dropped partition's deliveries, feed entries or event ids removes at most.
    static let partitionChunkRows = 5_000
    /// How long past the cutoff a partition may wait to be dropped before its rows are pruned one by one (at least two
    /// widths).
    static let rowPruningGraceSeconds: Int64 = 600
    /// Partitions one round of upkeep creates at most (each in its own short transaction).
    static let partitionsPerRound = 64

    /// How far ahead partitions exist: a few widths (at most three days' worth, at least one width) and at least half
    /// an hour, so a few failed rounds of upkeep leave nothing to the default partition.
    static func horizonSeconds(widthSeconds: Int64) -> Int64 { max(widthSeconds, min(3 * widthSeconds, 259_200), 1_800) }

    public func maintainPartitions(now: Timestamp, cutoff: Timestamp?, widthSeconds: Int64) async throws -> PartitionUpkeep {
        let widthSeconds = PartitionWidth.clamped(widthSeconds)
        var upkeep = PartitionUpkeep(rowsBefore: cutoff)
        do {
            try await createPartitions(now: now, widthSeconds: widthSeconds)
        } catch {
            upkeep.failures.append("creating time partitions failed: \(String(reflecting: error))")
        }
        guard let cutoff else { return upkeep }
        let partitions = try await timePartitions()
        for partition in partitions where partition.upper <= cutoff {
            do {
                if try await dropPartition(partition) { upkeep.dropped += 1 }
            } catch {
                upkeep.failures.append("dropping time partition \(partition.messagesTable) failed: \(String(reflecting: error))")
            }
        }
        // Partitions wait to be dropped whole. Rows are pruned one by one only where that has not happened for a grace
        // period (a partition kept by a delivery still retrying, rows no partition covers) — not after one drop that
        // waited too long for its lock. The history partition is pruned row by row, as before.
        let late = cutoff.adding(seconds: -max(2 * widthSeconds, Self.rowPruningGraceSeconds))
        if let current = partitions.first(where: { $0.lower <= late && late < $0.upper }), !current.isHistory {
            upkeep.rowsBefore = current.lower
        } else {
            upkeep.rowsBefore = late
        }
        return upkeep
    }

    /// The time partitions, oldest first.
    func timePartitions() async throws -> [TimePartition] {
        try await perform { client in try await client.rows(Self.partitionNames) }.compactMap {
            TimePartition(messagesTable: try $0.value("name"))
        }.sorted()
    }

    private static let partitionNames: PostgresQuery = """
        SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'messages'::regclass
        """

    /// Creates the partitions from the last one to the horizon, each ending on a multiple of `widthSeconds`, one
    /// transaction each: attaching one locks the default partitions (scanned, normally empty) and, briefly, the
    /// applications a message partition's reference points to, but not the other partitions.
    func createPartitions(now: Timestamp, widthSeconds: Int64) async throws {
        let width = PartitionWidth.clamped(widthSeconds)
        let horizon = TimePartition.seconds(of: now) + Self.horizonSeconds(widthSeconds: width)
        for _ in 0..<Self.partitionsPerRound {
            guard try await createNextPartition(now: now, widthSeconds: width, horizon: horizon) else { return }
        }
    }

    /// Creates the partition after the last one, unless the last one reaches `horizon` or another instance holds the
    /// partition lock; returns whether it made one.
    private func createNextPartition(now: Timestamp, widthSeconds width: Int64, horizon: Int64) async throws -> Bool {
        let logger = self.logger
        return try await transaction { connection in
            guard try await Self.takePartitionLock(connection, logger: logger) else { return false }
            let existing = try await connection.rows(Self.partitionNames, logger: logger)
                .compactMap { TimePartition(messagesTable: try $0.value("name")) }.sorted()
            let nowSeconds = TimePartition.seconds(of: now)
            var start = existing.last?.upperSeconds ?? (nowSeconds / width) * width
            guard start < horizon else { return false }
            if let latest = try await Self.latestInDefault(from: start, before: horizon, connection, logger: logger) {
                // The default partition took messages after the last partition (upkeep stopped, or a clock ahead): the
                // next one begins after them, and after the next minute, on a multiple of the width.
                start = (max(latest + 1, nowSeconds + 60) / width + 1) * width
            }
            guard start < TimePartition.latestSeconds,
                let partition = TimePartition(lowerSeconds: start, upperSeconds: (start / width + 1) * width)
            else { return false }
            for (parent, table) in [("messages", partition.messagesTable), ("attempts", partition.attemptsTable)] {
                try await connection.run(
                    PostgresQuery(unsafeSQL: "CREATE TABLE \(table) (LIKE \(parent) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"),
                    logger: logger
                )
                try await connection.run(
                    PostgresQuery(unsafeSQL: "ALTER TABLE \(parent) ATTACH PARTITION \(table) FOR VALUES \(partition.bounds)"),
                    logger: logger
                )
            }
            return true
        }
    }

    /// The time (Unix seconds) of the latest message the default partition holds between `seconds` and `horizon`, if
    /// any. One from further ahead (a clock far ahead) matters only once the partitions reach it.
    private static func latestInDefault(
        from seconds: Int64,
        before horizon: Int64,
        _ connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int64? {
        let first = IDPrefix.message.startID(timestampMs: seconds * 1000)
        let last = IDPrefix.message.startID(timestampMs: horizon * 1000)
        let rows = try await connection.rows(
            "SELECT max(id) AS latest FROM messages_default WHERE id >= \(first) AND id < \(last)",
            logger: logger
        )
        guard let latest = try rows.first?.value("latest", as: String?.self) else { return nil }
        let milliseconds = KSUID.timestampMs(of: latest.dropFirst(IDPrefix.message.rawValue.count)) ?? seconds * 1000
        return milliseconds / 1000
    }

    /// Takes the partition lock for this transaction, waiting at most briefly for any table lock after it.
    private static func takePartitionLock(_ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let taken = try await connection.rows("SELECT pg_try_advisory_xact_lock(\(partitionLockKey)) AS taken", logger: logger)
        guard try taken.first?.value("taken", as: Bool.self) == true else { return false }
        // Waiting behind a long transaction would queue every query on the table behind this one: give up instead
        // and try again at the next round.
        try await connection.run("SET LOCAL lock_timeout = '1s'", logger: logger)
        return true
    }

    /// Drops a partition whose messages have no delivery still open: first their ended deliveries, feed entries and
    /// event ids, in chunks, then — under a lock that a resend's insert waits for — whatever deliveries came since
    /// and both tables. Returns false, keeping it, while a delivery is open.
    func dropPartition(_ partition: TimePartition) async throws -> Bool {
        let openDelivery = "SELECT 1 AS open FROM deliveries WHERE next_attempt_at IS NOT NULL AND \(partition.holds("msg_id")) LIMIT 1"
        guard try await perform({ client in try await client.rows(PostgresQuery(unsafeSQL: openDelivery)) }).isEmpty else { return false }
        // Event ids go first too: were the drop then called off by a resend, its messages (older than the period)
        // would merely lose their reservation.
        let ended = [
            ("deliveries", "id", " AND next_attempt_at IS NULL"), ("poller_feed", "ctid", ""), ("message_event_ids", "ctid", ""),
        ]
        for (table, key, condition) in ended {
            // The condition is checked again on each row deleted: a recovery may reopen one after the chunk was chosen.
            let sql =
                "DELETE FROM \(table) WHERE \(key) = ANY(ARRAY(SELECT \(key) FROM \(table) WHERE \(partition.holds("msg_id"))\(condition)"
                + " LIMIT \(Self.partitionChunkRows)))\(condition) RETURNING 1 AS deleted"
            // Paced, like row retention: ingest and claims get the database between chunks.
            while try await perform({ client in try await client.rows(PostgresQuery(unsafeSQL: sql)).count }) >= Self.partitionChunkRows {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let logger = self.logger
        return try await transaction { connection in
            guard try await Self.takePartitionLock(connection, logger: logger) else { return false }
            // Resends wait for this lock (they lock their message); recoveries, which only update deliveries, wait for
            // the row locks below. Either may have opened a delivery since: then the partition stays.
            try await connection.run("LOCK TABLE messages, attempts IN ACCESS EXCLUSIVE MODE", logger: logger)
            try await connection.run(
                PostgresQuery(unsafeSQL: "SELECT 1 FROM deliveries WHERE \(partition.holds("msg_id")) FOR UPDATE"),
                logger: logger
            )
            guard try await connection.rows(PostgresQuery(unsafeSQL: openDelivery), logger: logger).isEmpty else { return false }
            for (table, condition) in [("deliveries", " AND next_attempt_at IS NULL"), ("poller_feed", ""), ("message_event_ids", "")] {
                try await connection.run(
                    PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE \(partition.holds("msg_id"))\(condition)"),
                    logger: logger
                )
            }
            try await connection.run(
                PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(partition.messagesTable), \(partition.attemptsTable)"),
                logger: logger
            )
            return true
        }
    }
}
