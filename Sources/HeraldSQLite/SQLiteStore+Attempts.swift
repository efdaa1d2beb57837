import Foundation
import GRDB
import HeraldCore

extension SQLiteStore {
    public func listAttempts(appID: String, query: AttemptQuery) async throws -> Page<Attempt> {
        var sql = "SELECT a.* FROM attempts a"
        var arguments: StatementArguments = []
        let needsMessage = query.eventTypes != nil || query.channel != nil
        if needsMessage { sql += " JOIN messages m ON m.id = a.msg_id" }
        sql += " WHERE a.app_id = ? AND a.id >= ? AND a.id < ?"
        arguments += [appID, query.idRange.lower, query.idRange.upper]
        if let endpointID = query.endpointID {
            sql += " AND a.endpoint_id = ?"
            arguments += [endpointID]
        }
        if let messageID = query.messageID {
            sql += " AND a.msg_id = ?"
            arguments += [messageID]
        }
        if let status = query.status {
            sql += " AND a.status = ?"
            arguments += [status.rawValue]
        }
        if let codeClass = query.statusCodeClass {
            sql += " AND a.response_status_code BETWEEN ? AND ?"
            arguments += [codeClass, codeClass + 99]
        }
        Self.appendMessageFilters(eventTypes: query.eventTypes, channel: query.channel, alias: "m", to: &sql, arguments: &arguments)
        let paging = PagingClause(column: "a.id", page: query.page)
        let statement = sql + paging.sql
        let allArguments = arguments + paging.arguments
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: statement, arguments: allArguments).map(Attempt.init(row:))
        }
        return query.page.page(fromScanned: rows)
    }

    public func attempt(appID: String, messageID: String, attemptID: String) async throws -> Attempt? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM attempts WHERE app_id = ? AND msg_id = ? AND id = ?",
                arguments: [appID, messageID, attemptID]
            ).map(Attempt.init(row:))
        }
    }

    public func expungeAttemptResponse(appID: String, attemptID: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE attempts SET response = NULL WHERE app_id = ? AND id = ?", arguments: [appID, attemptID])
        }
    }

    public func listAttemptedMessages(
        appID: String,
        endpointID: String,
        query: MessageQuery,
        status: MessageStatus?
    ) async throws -> Page<(Message, DestinationState)> {
        var sql = """
            SELECT m.*, d.status AS delivery_status, d.next_attempt_at AS delivery_next, d.lease_owner AS delivery_lease
            FROM deliveries d JOIN messages m ON m.id = d.msg_id
            WHERE d.app_id = ? AND d.endpoint_id = ? AND d.trigger_type = \(TriggerType.scheduled.sql) AND m.id >= ? AND m.id < ?
            """
        var arguments: StatementArguments = [appID, endpointID, query.idRange.lower, query.idRange.upper]
        if let status {
            sql += " AND d.status = ?"
            arguments += [status.rawValue]
        }
        Self.appendMessageFilters(eventTypes: query.eventTypes, channel: query.channel, alias: "m", to: &sql, arguments: &arguments)
        let paging = PagingClause(column: "m.id", page: query.page)
        let statement = sql + paging.sql
        let allArguments = arguments + paging.arguments
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: statement, arguments: allArguments).map { row in
                (try Message(row: row), DestinationState(row: row))
            }
        }
        return query.page.page(fromScanned: rows)
    }

    public func listAttemptedDestinations(appID: String, messageID: String, page: PageRequest) async throws -> Page<(Endpoint, DestinationState)> {
        let paging = PagingClause(column: "e.id", page: page)
        let rows = try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.*, d.status AS delivery_status, d.next_attempt_at AS delivery_next, d.lease_owner AS delivery_lease
                    FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
                    WHERE d.app_id = ? AND d.msg_id = ? AND d.trigger_type = \(TriggerType.scheduled.sql)
                    """ + paging.sql,
                arguments: [appID, messageID] + paging.arguments
            ).map { row in (try Endpoint(row: row, sealer: self.sealer), DestinationState(row: row)) }
        }
        return page.page(fromScanned: rows)
    }

    public func endpointStats(endpointID: String, since: Timestamp, until: Timestamp) async throws -> EndpointStats {
        try await pool.read { db in
            var counts: [MessageStatus: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT status, COUNT(*) AS n FROM deliveries
                    WHERE endpoint_id = ? AND trigger_type = \(TriggerType.scheduled.sql) AND created_at >= ? AND created_at < ?
                    GROUP BY status
                    """,
                arguments: [endpointID, since.milliseconds, until.milliseconds]
            ) {
                if let status = MessageStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return EndpointStats(counts: counts)
        }
    }

    public func enqueueManualAttempt(appID: String, messageID: String, endpointID: String, now: Timestamp) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO deliveries (msg_id, app_id, endpoint_id, trigger_type, status, next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, ?, \(TriggerType.manual.sql), \(MessageStatus.pending.sql), ?, ?, ?)
                    """,
                arguments: [messageID, appID, endpointID, now.milliseconds, now.milliseconds, now.milliseconds]
            )
        }
        newWork.signal()
    }

    public func recoverFailedDeliveries(endpointID: String, since: Timestamp, until: Timestamp, now: Timestamp) async throws -> Int {
        let count = try await pool.write { db -> Int in
            try db.execute(
                sql: """
                    UPDATE deliveries SET status = \(MessageStatus.pending.sql), attempt_count = 0, next_attempt_at = ?, updated_at = ?
                    WHERE endpoint_id = ? AND trigger_type = \(TriggerType.scheduled.sql) AND status = \(MessageStatus.fail.sql) AND created_at >= ? AND created_at < ?
                    """,
                arguments: [now.milliseconds, now.milliseconds, endpointID, since.milliseconds, until.milliseconds]
            )
            return db.changesCount
        }
        if count > 0 { newWork.signal() }
        return count
    }

    static func appendMessageFilters(
        eventTypes: [String]?,
        channel: String?,
        alias: String,
        to sql: inout String,
        arguments: inout StatementArguments
    ) {
        if let eventTypes, !eventTypes.isEmpty {
            sql += " AND \(alias).event_type IN (\(Array(repeating: "?", count: eventTypes.count).joined(separator: ", ")))"
            arguments += StatementArguments(eventTypes)
        }
        if let channel {
            sql += " AND EXISTS (SELECT 1 FROM json_each(\(alias).channels) WHERE json_each.value = ?)"
            arguments += [channel]
        }
    }
}

extension Attempt {
    init(row: Row) {
        self.init(
            id: row["id"],
            messageID: row["msg_id"],
            endpointID: row["endpoint_id"],
            appID: row["app_id"],
            url: row["url"],
            response: row["response"],
            responseStatusCode: row["response_status_code"],
            responseDurationMs: row["response_duration_ms"],
            status: MessageStatus(rawValue: row["status"]) ?? .fail,
            triggerType: TriggerType(rawValue: row["trigger_type"]) ?? .scheduled,
            createdAt: Timestamp(milliseconds: row["created_at"])
        )
    }
}

extension DestinationState {
    /// From the `delivery_*` columns of a listing: a leased delivery is in flight, so it has no next attempt to show.
    init(row: Row) {
        let status = MessageStatus(rawValue: row["delivery_status"]) ?? .pending
        let next: Int64? = row["delivery_next"]
        let leased = (row["delivery_lease"] as String?) != nil
        self.init(status: status, nextAttempt: (status == .sending || status == .pending) && !leased ? next.map(Timestamp.init) : nil)
    }
}
