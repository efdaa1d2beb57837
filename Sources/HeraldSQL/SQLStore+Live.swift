import HeraldCore

/// The live views' reads: the same statements on every backend. Each reads its tenant's index range only — an
/// application's, or its organisation's applications' — never a walk through other tenants' rows.
extension SQLStore {
    public func liveActivity(orgID: String, appID: String?, since: Timestamp, limit: Int) async throws -> [LiveActivity] {
        // The payload is not read: the views never show it.
        var messages = statement(
            "SELECT m.id, m.app_id, m.event_type, m.event_id, m.channels, \(dialect.nullBytes) AS payload, m.payload_expires_at, m.created_at,"
                + " m.trace_parent, NULL AS inbound"
                + " FROM messages m WHERE"
        )
        messages.appendScope("m", orgID: orgID, appID: appID)
        let firstMessage = IDPrefix.message.startID(timestampMs: since.milliseconds)
        messages.append(" AND m.id >= \(messages.bind(firstMessage)) ORDER BY m.id LIMIT \(messages.bind(limit))")
        var attempts = statement("SELECT t.* FROM attempts t WHERE ")
        attempts.appendEndpointScope("t", orgID: orgID, appID: appID)
        let firstAttempt = IDPrefix.attempt.startID(timestampMs: since.milliseconds)
        attempts.append(" AND t.id >= \(attempts.bind(firstAttempt)) ORDER BY t.id LIMIT \(attempts.bind(limit))")
        return try await read([messages, attempts]) { rows in
            let found =
                try rows[0].map { LiveActivity.message(try Message(stored: $0)) } + rows[1].map { LiveActivity.attempt(try Attempt(stored: $0)) }
            return LiveActivity.ordered(found, limit: limit)
        }
    }

    public func endpointHealth(orgID: String, appID: String?, changedSince: Timestamp?) async throws -> [EndpointHealth] {
        var select = statement(
            """
            SELECT e.*, a.name AS app_name, f.first_failure_at, g.breaker AS gate_breaker, g.open_at AS gate_open,
                (SELECT response_status_code FROM attempts t WHERE t.endpoint_id = e.id ORDER BY t.id DESC LIMIT 1) AS last_status,
                (SELECT created_at FROM attempts t WHERE t.endpoint_id = e.id ORDER BY t.id DESC LIMIT 1) AS last_at
            FROM endpoints e JOIN applications a ON a.id = e.app_id
            """
        )
        let now = Timestamp.now()
        select.append(" LEFT JOIN endpoint_failures f ON f.endpoint_id = e.id AND f.expires_at > \(select.bind(now))")
        select.append(" LEFT JOIN delivery_gates g ON g.key = e.id")
        select.append(" WHERE a.deleted_at IS NULL AND")
        select.appendScope("e", orgID: orgID, appID: appID)
        if let changedSince {
            select.append(
                " AND (e.updated_at >= \(select.bind(changedSince)) OR e.created_at >= \(select.bind(changedSince))"
                    + " OR e.deleted_at >= \(select.bind(changedSince))"
                    // A breaker not closed, and a pause that began or ended lately, are sent again.
                    + " OR g.breaker <> 0 OR g.open_at >= \(select.bind(changedSince)))"
            )
        } else {
            select.append(" AND e.deleted_at IS NULL")
        }
        select.append(" ORDER BY e.id LIMIT 500")
        let sealer = self.sealer
        return try await rows(select) { row in
            EndpointHealth(
                endpoint: try Endpoint(stored: row, sealer: sealer),
                appName: try row.text("app_name"),
                deleted: try row.optionalInteger("deleted_at") != nil,
                failingSince: try row.optionalTimestamp("first_failure_at"),
                lastStatusCode: try row.optionalInt("last_status"),
                lastAttemptAt: try row.optionalTimestamp("last_at"),
                circuitBreaker: try row.optionalInt("gate_breaker").map { BreakerState(rawValue: $0) ?? .open } ?? .closed,
                pausedUntil: try row.optionalTimestamp("gate_open").flatMap { $0 > now ? $0 : nil }
            )
        }
    }

    public func liveHistory(orgID: String, appID: String?, now: Timestamp, minutes: Int, bucketSeconds: Int) async throws -> [LiveBucket] {
        let width = Int64(bucketSeconds) * 1000
        let start = (now.milliseconds - Int64(minutes) * 60_000) / width * width
        var messages = statement("SELECT ")
        messages.append("m.created_at / \(messages.bind(width)) * \(messages.bind(width)) AS bucket, COUNT(*) AS n FROM messages m WHERE ")
        messages.appendScope("m", orgID: orgID, appID: appID)
        messages.append(" AND m.id >= \(messages.bind(IDPrefix.message.startID(timestampMs: start))) GROUP BY bucket")
        var attempts = statement("SELECT ")
        attempts.append("t.created_at / \(attempts.bind(width)) * \(attempts.bind(width)) AS bucket, COUNT(*) AS n FROM attempts t WHERE ")
        attempts.appendEndpointScope("t", orgID: orgID, appID: appID)
        attempts.append(
            " AND t.id >= \(attempts.bind(IDPrefix.attempt.startID(timestampMs: start))) AND t.status = \(MessageStatus.success.sql) GROUP BY bucket"
        )
        let counts = try await read([messages, attempts]) { rows -> [Int64: (Int, Int)] in
            var counts: [Int64: (Int, Int)] = [:]
            for row in rows[0] { counts[try row.integer("bucket"), default: (0, 0)].0 = try row.int("n") }
            for row in rows[1] { counts[try row.integer("bucket"), default: (0, 0)].1 = try row.int("n") }
            return counts
        }
        return LiveBucket.series(now: now, minutes: minutes, bucketSeconds: bucketSeconds, counts: counts)
    }

    public func liveStats(orgID: String, appID: String?, now: Timestamp, windowSeconds: Int) async throws -> LiveStats {
        let start = now.adding(seconds: -Int64(windowSeconds))
        var messages = statement("SELECT COUNT(*) AS n FROM messages m WHERE ")
        messages.appendScope("m", orgID: orgID, appID: appID)
        messages.append(
            " AND m.id >= \(messages.bind(IDPrefix.message.startID(timestampMs: start.milliseconds)))"
                + " AND m.id < \(messages.bind(IDPrefix.message.startID(timestampMs: now.milliseconds)))"
        )
        var attempts = statement("SELECT t.status, t.response_duration_ms FROM attempts t WHERE ")
        attempts.appendEndpointScope("t", orgID: orgID, appID: appID)
        attempts.append(
            " AND t.id >= \(attempts.bind(IDPrefix.attempt.startID(timestampMs: start.milliseconds)))"
                + " AND t.id < \(attempts.bind(IDPrefix.attempt.startID(timestampMs: now.milliseconds))) LIMIT \(LiveStats.sampleLimit)"
        )
        var queue = statement("SELECT ")
        queue.append(
            "COALESCE(SUM(CASE WHEN d.next_attempt_at <= \(queue.bind(now)) AND d.lease_owner IS NULL THEN 1 ELSE 0 END), 0) AS due, "
                + "COALESCE(SUM(CASE WHEN d.status = \(MessageStatus.sending.sql) THEN 1 ELSE 0 END), 0) AS retrying"
                + " FROM deliveries d WHERE d.status IN \(MessageStatus.sqlList(.pending, .sending)) AND"
        )
        queue.appendScope("d", orgID: orgID, appID: appID)
        var sources = statement(
            "SELECT s.id, s.app_id, s.name, s.disabled, s.received, s.accepted, s.duplicates, s.rejected, s.last_rejection,"
                + " s.last_rejected_at, s.recent_rejections FROM sources s WHERE"
        )
        sources.appendScope("s", orgID: orgID, appID: appID)
        sources.append(" ORDER BY s.id LIMIT 50")
        return try await read([messages, attempts, queue, sources]) { rows in
            let sample = try rows[1].map { (status: try $0.int("status"), duration: try $0.integer("response_duration_ms")) }
            return LiveStats(
                windowSeconds: windowSeconds,
                messages: try rows[0].first?.int("n") ?? 0,
                attempts: sample.count,
                successfulAttempts: sample.filter { $0.status == MessageStatus.success.rawValue }.count,
                durationsMs: sample.map(\.duration),
                due: try rows[2].first?.int("due") ?? 0,
                retrying: try rows[2].first?.int("retrying") ?? 0,
                sources: try rows[3].map { row in
                    SourceTrafficRow(
                        sourceID: try row.text("id"),
                        appID: try row.text("app_id"),
                        name: try row.text("name"),
                        disabled: try row.bool("disabled"),
                        traffic: try SourceTraffic(stored: row)
                    )
                }
            )
        }
    }
}

extension SQLStatement {
    /// ` x.app_id IN (the organisation's live applications)`, or the one of them named by `appID` (the organisation
    /// is checked here too, not only by the route).
    mutating func appendScope(_ alias: String, orgID: String, appID: String?) {
        append(" \(alias).app_id IN \(applications(orgID: orgID, appID: appID))")
    }

    mutating func applications(orgID: String, appID: String?) -> String {
        var apps = "(SELECT id FROM applications WHERE org_id = \(bind(orgID)) AND deleted_at IS NULL"
        if let appID { apps += " AND id = \(bind(appID))" }
        return apps + ")"
    }

    /// The same for attempts, through the tenant's live endpoints (`attempts_endpoint`), so the attempt log needs no
    /// third index on its write path.
    mutating func appendEndpointScope(_ alias: String, orgID: String, appID: String?) {
        let apps = applications(orgID: orgID, appID: appID)
        append(" \(alias).endpoint_id IN (SELECT id FROM endpoints WHERE app_id IN \(apps) AND deleted_at IS NULL)")
    }
}
