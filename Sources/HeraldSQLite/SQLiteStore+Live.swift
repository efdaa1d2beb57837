import GRDB
import HeraldCore

extension SQLiteStore {
    public func liveActivity(orgID: String, appID: String?, since: Timestamp, limit: Int) async throws -> [LiveActivity] {
        let scope = LiveScopeSQL(orgID: orgID, appID: appID)
        return try await pool.read { db in
            let messages = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.id, m.app_id, m.event_type, m.event_id, m.channels, NULL AS payload, m.payload_expires_at, m.created_at
                    FROM messages m WHERE \(scope.condition("m")) AND m.id >= ? ORDER BY m.id LIMIT ?
                    """,
                arguments: scope.arguments + [IDPrefix.message.startID(timestampMs: since.milliseconds), limit]
            ).map { LiveActivity.message(try Message(row: $0)) }
            let attempts = try Row.fetchAll(
                db,
                sql: "SELECT t.* FROM attempts t WHERE \(scope.endpointCondition("t")) AND t.id >= ? ORDER BY t.id LIMIT ?",
                arguments: scope.arguments + [IDPrefix.attempt.startID(timestampMs: since.milliseconds), limit]
            ).map { LiveActivity.attempt(Attempt(row: $0)) }
            return LiveActivity.ordered(messages + attempts, limit: limit)
        }
    }

    public func endpointHealth(orgID: String, appID: String?, changedSince: Timestamp?) async throws -> [EndpointHealth] {
        var sql = """
            SELECT e.*, a.name AS app_name, f.first_failure_at,
                (SELECT response_status_code FROM attempts t WHERE t.endpoint_id = e.id ORDER BY t.id DESC LIMIT 1) AS last_status,
                (SELECT created_at FROM attempts t WHERE t.endpoint_id = e.id ORDER BY t.id DESC LIMIT 1) AS last_at
            FROM endpoints e JOIN applications a ON a.id = e.app_id
            LEFT JOIN endpoint_failures f ON f.endpoint_id = e.id AND f.expires_at > ?
            WHERE a.org_id = ? AND a.deleted_at IS NULL
            """
        var arguments: StatementArguments = [Timestamp.now().milliseconds, orgID]
        if let appID {
            sql += " AND a.id = ?"
            arguments += [appID]
        }
        if let changedSince {
            sql += " AND (e.updated_at >= ? OR e.created_at >= ? OR e.deleted_at >= ?)"
            arguments += [changedSince.milliseconds, changedSince.milliseconds, changedSince.milliseconds]
        } else {
            sql += " AND e.deleted_at IS NULL"
        }
        sql += " ORDER BY e.id LIMIT 500"
        let statement = sql
        let allArguments = arguments
        return try await pool.read { db in
            try Row.fetchAll(db, sql: statement, arguments: allArguments).map { row in
                let lastAt: Int64? = row["last_at"]
                let failingSince: Int64? = row["first_failure_at"]
                let deletedAt: Int64? = row["deleted_at"]
                return EndpointHealth(
                    endpoint: try Endpoint(row: row, sealer: self.sealer),
                    appName: row["app_name"],
                    deleted: deletedAt != nil,
                    failingSince: failingSince.map(Timestamp.init(milliseconds:)),
                    lastStatusCode: row["last_status"],
                    lastAttemptAt: lastAt.map(Timestamp.init(milliseconds:))
                )
            }
        }
    }

    public func liveHistory(orgID: String, appID: String?, now: Timestamp, minutes: Int, bucketSeconds: Int) async throws -> [LiveBucket] {
        let width = Int64(bucketSeconds) * 1000
        let start = (now.milliseconds - Int64(minutes) * 60_000) / width * width
        let scope = LiveScopeSQL(orgID: orgID, appID: appID)
        let counts = try await pool.read { db -> [Int64: (Int, Int)] in
            var counts: [Int64: (Int, Int)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT m.created_at / ? * ? AS bucket, COUNT(*) AS n FROM messages m
                    WHERE \(scope.condition("m")) AND m.id >= ? GROUP BY bucket
                    """,
                arguments: [width, width] + scope.arguments + [IDPrefix.message.startID(timestampMs: start)]
            ) {
                counts[row["bucket"], default: (0, 0)].0 = row["n"]
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT t.created_at / ? * ? AS bucket, COUNT(*) AS n FROM attempts t
                    WHERE \(scope.endpointCondition("t")) AND t.id >= ? AND t.status = \(MessageStatus.success.sql) GROUP BY bucket
                    """,
                arguments: [width, width] + scope.arguments + [IDPrefix.attempt.startID(timestampMs: start)]
            ) {
                counts[row["bucket"], default: (0, 0)].1 = row["n"]
            }
            return counts
        }
        return LiveBucket.series(now: now, minutes: minutes, bucketSeconds: bucketSeconds, counts: counts)
    }

    public func liveStats(orgID: String, appID: String?, now: Timestamp, windowSeconds: Int) async throws -> LiveStats {
        let start = now.adding(seconds: -Int64(windowSeconds))
        let scope = LiveScopeSQL(orgID: orgID, appID: appID)
        return try await pool.read { db in
            let messages =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM messages m WHERE \(scope.condition("m")) AND m.id >= ? AND m.id < ?",
                    arguments: scope.arguments + [
                        IDPrefix.message.startID(timestampMs: start.milliseconds), IDPrefix.message.startID(timestampMs: now.milliseconds),
                    ]
                ) ?? 0
            let attempts = try Row.fetchAll(
                db,
                sql: """
                    SELECT t.status, t.response_duration_ms FROM attempts t
                    WHERE \(scope.endpointCondition("t")) AND t.id >= ? AND t.id < ? LIMIT \(LiveStats.sampleLimit)
                    """,
                arguments: scope.arguments + [
                    IDPrefix.attempt.startID(timestampMs: start.milliseconds), IDPrefix.attempt.startID(timestampMs: now.milliseconds),
                ]
            )
            let queue = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(d.next_attempt_at <= ? AND d.lease_owner IS NULL), 0) AS due,
                        COALESCE(SUM(d.status = \(MessageStatus.sending.sql)), 0) AS retrying
                    FROM deliveries d WHERE \(scope.condition("d")) AND d.status IN \(MessageStatus.sqlList(.pending, .sending))
                    """,
                arguments: [now.milliseconds] + scope.arguments
            )
            return LiveStats(
                windowSeconds: windowSeconds,
                messages: messages,
                attempts: attempts.count,
                successfulAttempts: attempts.filter { ($0["status"] as Int) == MessageStatus.success.rawValue }.count,
                durationsMs: attempts.map { $0["response_duration_ms"] },
                due: queue?["due"] ?? 0,
                retrying: queue?["retrying"] ?? 0
            )
        }
    }
}

/// The tenant a live query reads, as a condition on a table's `app_id`: the application's own index range, or its
/// organisation's applications' — never a walk through other tenants' rows.
struct LiveScopeSQL {
    let orgID: String
    let appID: String?

    func condition(_ alias: String) -> String {
        appID == nil
            ? "\(alias).app_id IN (SELECT id FROM applications WHERE org_id = ? AND deleted_at IS NULL)" : "\(alias).app_id = ?"
    }

    /// The same for attempts, through the tenant's live endpoints (`attempts_endpoint`), so the attempt log needs no
    /// third index on its write path.
    func endpointCondition(_ alias: String) -> String {
        let apps = appID == nil ? "(SELECT id FROM applications WHERE org_id = ? AND deleted_at IS NULL)" : "(?)"
        return "\(alias).endpoint_id IN (SELECT id FROM endpoints WHERE app_id IN \(apps) AND deleted_at IS NULL)"
    }

    var arguments: StatementArguments { appID.map { [$0] } ?? [orgID] }
}
