import HeraldCore
import PostgresNIO

extension PostgresStore {
    public func liveActivity(orgID: String, appID: String?, since: Timestamp, limit: Int) async throws -> [LiveActivity] {
        var messages = SQLBuilder(
            """
            SELECT m.id, m.app_id, m.event_type, m.event_id, m.channels, NULL::bytea AS payload, m.payload_expires_at, m.created_at
            FROM messages m WHERE
            """
        )
        messages.appendScope("m", orgID: orgID, appID: appID)
        messages.append(" AND m.id >= \(messages.bind(IDPrefix.message.startID(timestampMs: since.milliseconds)))")
        messages.append(" ORDER BY m.id LIMIT \(messages.bind(limit))")
        var attempts = SQLBuilder("SELECT t.* FROM attempts t WHERE")
        attempts.appendScope("t", orgID: orgID, appID: appID)
        attempts.append(" AND t.id >= \(attempts.bind(IDPrefix.attempt.startID(timestampMs: since.milliseconds)))")
        attempts.append(" ORDER BY t.id LIMIT \(attempts.bind(limit))")
        let (messageQuery, attemptQuery) = (messages.query, attempts.query)
        return try await perform { client in
            let found =
                try await client.rows(messageQuery).map { LiveActivity.message(try Message(row: $0)) }
                + client.rows(attemptQuery).map { LiveActivity.attempt(try Attempt(row: $0)) }
            return LiveActivity.ordered(found, limit: limit)
        }
    }

    public func endpointHealth(orgID: String, appID: String?, changedSince: Timestamp?) async throws -> [EndpointHealth] {
        var builder = SQLBuilder(
            """
            SELECT e.*, a.name AS app_name, f.first_failure_at,
                (SELECT response_status_code FROM attempts t WHERE t.endpoint_id = e.id ORDER BY t.id DESC LIMIT 1) AS last_status,
                (SELECT created_at FROM attempts t WHERE t.endpoint_id = e.id ORDER BY t.id DESC LIMIT 1) AS last_at
            FROM endpoints e JOIN applications a ON a.id = e.app_id
            LEFT JOIN endpoint_failures f ON f.endpoint_id = e.id AND f.expires_at >
            """
        )
        builder.append(" \(builder.bind(Timestamp.now().milliseconds)) WHERE a.deleted_at IS NULL AND")
        builder.appendScope("e", orgID: orgID, appID: appID)
        if let changedSince {
            let since = builder.bind(changedSince.milliseconds)
            builder.append(" AND (e.updated_at >= \(since) OR e.created_at >= \(since) OR e.deleted_at >= \(since))")
        } else {
            builder.append(" AND e.deleted_at IS NULL")
        }
        builder.append(" ORDER BY e.id LIMIT 500")
        let query = builder.query
        let sealer = self.sealer
        return try await perform { client in
            try await client.rows(query).map { row in
                EndpointHealth(
                    endpoint: try Endpoint(row: row, sealer: sealer),
                    appName: try row.value("app_name"),
                    deleted: try row.value("deleted_at", as: Int64?.self) != nil,
                    failingSince: try row.value("first_failure_at", as: Int64?.self).map(Timestamp.init(milliseconds:)),
                    lastStatusCode: try row.value("last_status", as: Int?.self),
                    lastAttemptAt: try row.value("last_at", as: Int64?.self).map(Timestamp.init(milliseconds:))
                )
            }
        }
    }

    public func liveHistory(orgID: String, appID: String?, now: Timestamp, minutes: Int, bucketSeconds: Int) async throws -> [LiveBucket] {
        let width = Int64(bucketSeconds) * 1000
        let start = (now.milliseconds - Int64(minutes) * 60_000) / width * width
        var messages = SQLBuilder("SELECT m.created_at / ")
        let messageWidth = messages.bind(width)
        messages.append(
            "\(messageWidth) * \(messageWidth) AS bucket, COUNT(*) AS n FROM messages m WHERE m.id >= \(messages.bind(IDPrefix.message.startID(timestampMs: start))) AND"
        )
        messages.appendScope("m", orgID: orgID, appID: appID)
        messages.append(" GROUP BY bucket")
        var attempts = SQLBuilder("SELECT t.created_at / ")
        let attemptWidth = attempts.bind(width)
        attempts.append(
            "\(attemptWidth) * \(attemptWidth) AS bucket, COUNT(*) AS n FROM attempts t WHERE t.status = \(MessageStatus.success.sql) AND t.id >= \(attempts.bind(IDPrefix.attempt.startID(timestampMs: start))) AND"
        )
        attempts.appendScope("t", orgID: orgID, appID: appID)
        attempts.append(" GROUP BY bucket")
        let (messageQuery, attemptQuery) = (messages.query, attempts.query)
        let counts = try await perform { client -> [Int64: (Int, Int)] in
            var counts: [Int64: (Int, Int)] = [:]
            for row in try await client.rows(messageQuery) {
                counts[try row.value("bucket", as: Int64.self), default: (0, 0)].0 = Int(try row.value("n", as: Int64.self))
            }
            for row in try await client.rows(attemptQuery) {
                counts[try row.value("bucket", as: Int64.self), default: (0, 0)].1 = Int(try row.value("n", as: Int64.self))
            }
            return counts
        }
        return LiveBucket.series(now: now, minutes: minutes, bucketSeconds: bucketSeconds, counts: counts)
    }

    public func liveStats(orgID: String, appID: String?, now: Timestamp, windowSeconds: Int) async throws -> LiveStats {
        let start = now.adding(seconds: -Int64(windowSeconds))
        var messages = SQLBuilder("SELECT COUNT(*) AS n FROM messages m WHERE m.id >=")
        messages.append(
            " \(messages.bind(IDPrefix.message.startID(timestampMs: start.milliseconds))) AND m.id < \(messages.bind(IDPrefix.message.startID(timestampMs: now.milliseconds))) AND"
        )
        messages.appendScope("m", orgID: orgID, appID: appID)
        var attempts = SQLBuilder("SELECT t.status, t.response_duration_ms FROM attempts t WHERE t.id >=")
        attempts.append(
            " \(attempts.bind(IDPrefix.attempt.startID(timestampMs: start.milliseconds))) AND t.id < \(attempts.bind(IDPrefix.attempt.startID(timestampMs: now.milliseconds))) AND"
        )
        attempts.appendScope("t", orgID: orgID, appID: appID)
        attempts.append(" LIMIT \(LiveStats.sampleLimit)")
        var queue = SQLBuilder("SELECT COUNT(*) FILTER (WHERE d.next_attempt_at <=")
        queue.append(
            " \(queue.bind(now.milliseconds)) AND d.lease_owner IS NULL) AS due, COUNT(*) FILTER (WHERE d.status = \(MessageStatus.sending.sql)) AS retrying"
                + " FROM deliveries d WHERE d.status IN \(MessageStatus.sqlList(.pending, .sending)) AND"
        )
        queue.appendScope("d", orgID: orgID, appID: appID)
        let (messageQuery, attemptQuery, queueQuery) = (messages.query, attempts.query, queue.query)
        return try await perform { client in
            let messageCount = try await client.rows(messageQuery).first?.value("n", as: Int64.self) ?? 0
            let sample = try await client.rows(attemptQuery).map {
                (status: try $0.value("status", as: Int.self), duration: try $0.value("response_duration_ms", as: Int64.self))
            }
            let counts = try await client.rows(queueQuery).first
            return LiveStats(
                windowSeconds: windowSeconds,
                messages: Int(messageCount),
                attempts: sample.count,
                successfulAttempts: sample.filter { $0.status == MessageStatus.success.rawValue }.count,
                durationsMs: sample.map(\.duration),
                due: Int(try counts?.value("due", as: Int64.self) ?? 0),
                retrying: Int(try counts?.value("retrying", as: Int64.self) ?? 0)
            )
        }
    }
}

extension SQLBuilder {
    /// ` x.app_id = …`, or ` x.app_id IN (the organisation's applications)`: a live query reads its tenant's index range
    /// only, never a walk through other tenants' rows.
    mutating func appendScope(_ alias: String, orgID: String, appID: String?) {
        if let appID {
            append(" \(alias).app_id = \(bind(appID))")
        } else {
            append(" \(alias).app_id IN (SELECT id FROM applications WHERE org_id = \(bind(orgID)) AND deleted_at IS NULL)")
        }
    }
}
