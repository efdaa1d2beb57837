import HeraldCore
import PostgresNIO

extension PostgresStore {
    public func listAttempts(appID: String, query: AttemptQuery) async throws -> Page<Attempt> {
        var builder = SQLBuilder("SELECT a.* FROM attempts a")
        if query.eventTypes != nil || query.channel != nil { builder.append(" JOIN messages m ON m.id = a.msg_id") }
        builder.append(
            " WHERE a.app_id = \(builder.bind(appID)) AND a.id >= \(builder.bind(query.idRange.lower)) AND a.id < \(builder.bind(query.idRange.upper))"
        )
        if let endpointID = query.endpointID { builder.append(" AND a.endpoint_id = \(builder.bind(endpointID))") }
        if let messageID = query.messageID { builder.append(" AND a.msg_id = \(builder.bind(messageID))") }
        if let status = query.status { builder.append(" AND a.status = \(builder.bind(status.rawValue))") }
        if let codeClass = query.statusCodeClass {
            builder.append(" AND a.response_status_code BETWEEN \(builder.bind(codeClass)) AND \(builder.bind(codeClass + 99))")
        }
        builder.appendMessageFilters(eventTypes: query.eventTypes, channel: query.channel, alias: "m")
        builder.appendPaging(column: "a.id", page: query.page)
        let statement = builder.query
        let rows = try await perform { client in try await client.rows(statement).map(Attempt.init(row:)) }
        return query.page.page(fromScanned: rows)
    }

    public func attempt(appID: String, messageID: String, attemptID: String) async throws -> Attempt? {
        try await perform { client in
            try await client.rows(
                "SELECT * FROM attempts WHERE app_id = \(appID) AND msg_id = \(messageID) AND id = \(attemptID)"
            ).first.map(Attempt.init(row:))
        }
    }

    public func expungeAttemptResponse(appID: String, attemptID: String) async throws {
        try await perform { client in
            try await client.query("UPDATE attempts SET response = NULL WHERE app_id = \(appID) AND id = \(attemptID)").drain()
        }
    }

    public func listAttemptedMessages(
        appID: String,
        endpointID: String,
        query: MessageQuery,
        status: MessageStatus?
    ) async throws -> Page<(Message, DestinationState)> {
        var builder = SQLBuilder(
            """
            SELECT m.*, d.status AS delivery_status, d.next_attempt_at AS delivery_next, d.lease_owner AS delivery_lease
            FROM deliveries d JOIN messages m ON m.id = d.msg_id
            WHERE d.trigger_type = \(TriggerType.scheduled.sql)
            """
        )
        builder.append(
            """
             AND d.app_id = \(builder.bind(appID)) AND d.endpoint_id = \(builder.bind(endpointID))
             AND m.id >= \(builder.bind(query.idRange.lower)) AND m.id < \(builder.bind(query.idRange.upper))
            """
        )
        if let status { builder.append(" AND d.status = \(builder.bind(status.rawValue))") }
        builder.appendMessageFilters(eventTypes: query.eventTypes, channel: query.channel, alias: "m")
        builder.appendPaging(column: "m.id", page: query.page)
        let statement = builder.query
        let rows = try await perform { client in
            try await client.rows(statement).map { row in (try Message(row: row), try DestinationState(row: row)) }
        }
        return query.page.page(fromScanned: rows)
    }

    public func listAttemptedDestinations(appID: String, messageID: String, page: PageRequest) async throws -> Page<(Endpoint, DestinationState)> {
        var builder = SQLBuilder(
            """
            SELECT e.*, d.status AS delivery_status, d.next_attempt_at AS delivery_next, d.lease_owner AS delivery_lease
            FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
            WHERE d.trigger_type = \(TriggerType.scheduled.sql)
            """
        )
        builder.append(" AND d.app_id = \(builder.bind(appID)) AND d.msg_id = \(builder.bind(messageID))")
        builder.appendPaging(column: "e.id", page: page)
        let statement = builder.query
        let sealer = self.sealer
        let rows = try await perform { client in
            try await client.rows(statement).map { row in (try Endpoint(row: row, sealer: sealer), try DestinationState(row: row)) }
        }
        return page.page(fromScanned: rows)
    }

    public func endpointStats(endpointID: String, since: Timestamp, until: Timestamp) async throws -> EndpointStats {
        try await perform { client in
            var counts: [MessageStatus: Int] = [:]
            for row in try await client.rows(
                """
                SELECT status, COUNT(*) AS n FROM deliveries
                WHERE endpoint_id = \(endpointID) AND trigger_type = \(unescaped: TriggerType.scheduled.sql)
                    AND created_at >= \(since.milliseconds) AND created_at < \(until.milliseconds)
                GROUP BY status
                """
            ) {
                if let status = MessageStatus(rawValue: try row.value("status", as: Int.self)) {
                    counts[status] = Int(try row.value("n", as: Int64.self))
                }
            }
            return EndpointStats(counts: counts)
        }
    }

    public func enqueueManualAttempt(appID: String, messageID: String, endpointID: String, now: Timestamp) async throws {
        try await perform { client in
            try await client.query(
                """
                INSERT INTO deliveries (msg_id, app_id, endpoint_id, trigger_type, status, next_attempt_at, created_at, updated_at)
                VALUES (\(messageID), \(appID), \(endpointID), \(unescaped: TriggerType.manual.sql), \(unescaped: MessageStatus.pending.sql), \(now.milliseconds), \(now.milliseconds), \(now.milliseconds))
                """
            ).drain()
        }
        announceNewWork()
    }

    public func recoverFailedDeliveries(endpointID: String, since: Timestamp, until: Timestamp, now: Timestamp) async throws -> Int {
        let count = try await perform { client in
            try await client.rows(
                """
                UPDATE deliveries SET status = \(unescaped: MessageStatus.pending.sql), attempt_count = 0, next_attempt_at = \(now.milliseconds), updated_at = \(now.milliseconds)
                WHERE endpoint_id = \(endpointID) AND trigger_type = \(unescaped: TriggerType.scheduled.sql) AND status = \(unescaped: MessageStatus.fail.sql)
                    AND created_at >= \(since.milliseconds) AND created_at < \(until.milliseconds)
                RETURNING 1
                """
            ).count
        }
        if count > 0 { announceNewWork() }
        return count
    }
}

extension Attempt {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row.value("id"),
            messageID: try row.value("msg_id"),
            endpointID: try row.value("endpoint_id"),
            appID: try row.value("app_id"),
            url: try row.value("url"),
            response: try row.value("response"),
            responseStatusCode: try row.value("response_status_code"),
            responseDurationMs: try row.value("response_duration_ms"),
            status: MessageStatus(rawValue: try row.value("status")) ?? .fail,
            triggerType: TriggerType(rawValue: try row.value("trigger_type")) ?? .scheduled,
            createdAt: try row.timestamp("created_at")
        )
    }
}

extension DestinationState {
    /// From the `delivery_*` columns of a listing: a leased delivery is in flight, so it has no next attempt to show.
    init(row: PostgresRandomAccessRow) throws {
        let status = MessageStatus(rawValue: try row.value("delivery_status")) ?? .pending
        let next = try row.value("delivery_next", as: Int64?.self)
        let leased = try row.value("delivery_lease", as: String?.self) != nil
        self.init(status: status, nextAttempt: (status == .sending || status == .pending) && !leased ? next.map(Timestamp.init) : nil)
    }
}
