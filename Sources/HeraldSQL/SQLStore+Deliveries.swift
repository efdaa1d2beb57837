import HeraldCore

/// Reading messages and the attempt log, manual attempts and recoveries, revocations and the queue's upkeep: the
/// same statements on every backend.
extension SQLStore {
    public func message(appID: String, idOrEventID: String) async throws -> Message? {
        let column = IDPrefix.message.isID(idOrEventID) ? "id" : "event_id"
        var select = statement("SELECT * FROM messages WHERE ")
        select.append("app_id = \(select.bind(appID)) AND \(column) = \(select.bind(idOrEventID))")
        return try await rows(select) { try Message(stored: $0) }.first
    }

    public func listMessages(appID: String, query: MessageQuery) async throws -> Page<Message> {
        var select = statement("SELECT * FROM messages m WHERE ")
        select.append(
            "m.app_id = \(select.bind(appID)) AND m.id >= \(select.bind(query.idRange.lower)) AND m.id < \(select.bind(query.idRange.upper))"
        )
        select.appendMessageFilters(eventTypes: query.eventTypes, channel: query.channel, alias: "m")
        select.appendPaging(column: "m.id", page: query.page)
        return query.page.page(fromScanned: try await rows(select) { try Message(stored: $0) })
    }

    public func expungeMessagePayload(appID: String, messageID: String) async throws {
        var payload = statement("UPDATE messages SET payload = NULL WHERE ")
        payload.append("app_id = \(payload.bind(appID)) AND id = \(payload.bind(messageID))")
        // The response that created it, kept for idempotent retries, holds the payload too.
        var kept = statement("DELETE FROM idempotency_keys WHERE ")
        kept.append("resource_id = \(kept.bind(messageID))")
        try await write([payload, kept])
    }

    public func queueDepth(now: Timestamp) async throws -> QueueDepth {
        // Over the partial indexes of deliveries still waiting, unparked and parked (a parked one is due): finished
        // ones are not read.
        var select = statement("SELECT ")
        select.append(
            "COALESCE(SUM(CASE WHEN next_attempt_at <= \(select.bind(now)) AND \(Lease.free(at: select.bind(now))) THEN 1 ELSE 0 END), 0)"
                + " + (SELECT COUNT(*) FROM deliveries WHERE \(dialect.parked) AND next_attempt_at IS NOT NULL) AS due, "
                + "COALESCE(SUM(CASE WHEN \(Lease.held(at: select.bind(now))) THEN 1 ELSE 0 END), 0) AS in_flight, "
                + "COALESCE(SUM(CASE WHEN next_attempt_at > \(select.bind(now)) AND lease_owner IS NULL"
                + " AND status = \(MessageStatus.sending.sql) THEN 1 ELSE 0 END), 0) AS retrying "
                + "FROM deliveries WHERE next_attempt_at IS NOT NULL AND \(dialect.unparked)"
        )
        return try await rows(select) { row in
            QueueDepth(due: try row.int("due"), inFlight: try row.int("in_flight"), retrying: try row.int("retrying"))
        }.first ?? QueueDepth(due: 0, inFlight: 0, retrying: 0)
    }

    public func expireDuePayloads(now: Timestamp, limit: Int) async throws -> Int {
        // Found through the partial index on payload_expires_at (migration 0007), which holds only payloads still kept.
        var due = statement("SELECT id FROM messages WHERE payload IS NOT NULL AND payload_expires_at <= ")
        due.append("\(due.bind(now)) ORDER BY payload_expires_at LIMIT \(due.bind(max(1, limit)))")
        let ids = try await rows(due) { try $0.text("id") }
        guard !ids.isEmpty else { return 0 }
        var payloads = statement("UPDATE messages SET payload = NULL WHERE payload IS NOT NULL AND ")
        payloads.append(payloads.isAny(of: ids, "id"))
        var kept = statement("DELETE FROM idempotency_keys WHERE ")
        kept.append(kept.isAny(of: ids, "resource_id"))
        try await write([payloads, kept])
        return ids.count
    }

    public func pruneMessages(before cutoff: Timestamp, limit: Int) async throws -> Int {
        // Message ids sort by acceptance time, so the primary key finds the oldest without another index.
        var old = statement("SELECT m.id FROM messages m WHERE ")
        old.append(
            "m.id < \(old.bind(IDPrefix.message.startID(timestampMs: cutoff.milliseconds)))"
                + " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id AND d.next_attempt_at IS NOT NULL)"
                + " ORDER BY m.id LIMIT \(old.bind(max(1, limit)))"
        )
        let ids = try await rows(old) { try $0.text("id") }
        guard !ids.isEmpty else { return 0 }
        // A message may have thousands of attempts (many endpoints, resends): they and the deliveries go in chunks,
        // each its own short transaction, so the writer is never held for long. Every delete spares a message that
        // a resend gave an open delivery meanwhile; the last one then keeps it.
        let open = "NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.msg_id = x.msg_id AND o.next_attempt_at IS NOT NULL)"
        // Attempts are keyed by message and id (PostgreSQL partitions them by message).
        for (table, key) in [("attempts", ["msg_id", "id"]), ("deliveries", ["id"]), ("poller_feed", ["seq"])] {
            let columns = key.joined(separator: ", ")
            let selected = key.map { "x." + $0 }.joined(separator: ", ")
            while true {
                var chunk = statement("DELETE FROM \(table) WHERE (\(columns)) IN (SELECT \(selected) FROM \(table) x WHERE ")
                chunk.append(chunk.isAny(of: ids, "x.msg_id") + " AND \(open)")
                if table == "deliveries" { chunk.append(" AND x.next_attempt_at IS NULL") }
                chunk.append(" LIMIT \(chunk.bind(Self.pruneChunkRows)))")
                // Checked again on the row deleted: a recovery may reopen one after the chunk was chosen.
                if table == "deliveries" { chunk.append(" AND next_attempt_at IS NULL") }
                chunk.returning("1 AS deleted")
                let deleted = try await write([chunk], conflict: nil) { $0.count }
                if deleted < Self.pruneChunkRows { break }
            }
        }
        // Idempotent replays go with their keys (`sweepExpiredRecords`): the window is never longer than retention.
        let unused = { (alias: String) in
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = \(alias))"
                + " AND NOT EXISTS (SELECT 1 FROM attempts t WHERE t.msg_id = \(alias))"
                + " AND NOT EXISTS (SELECT 1 FROM poller_feed f WHERE f.msg_id = \(alias))"
        }
        var last: [SQLStatement] = []
        if dialect == .postgres {
            // The messages are locked first, so a resend queued meanwhile (which locks its message) has committed and
            // the checks below, each a statement of its own, see its delivery and spare the message.
            var lock = statement("SELECT id FROM messages WHERE ")
            lock.append(lock.isAny(of: ids, "id") + " ORDER BY id FOR UPDATE")
            // Event ids are kept unique in a table of their own there: those of the messages going are freed with them.
            var eventIDs = statement("DELETE FROM message_event_ids e WHERE ")
            eventIDs.append(eventIDs.isAny(of: ids, "e.msg_id") + unused("e.msg_id"))
            last += [lock, eventIDs]
        }
        var messages = statement("DELETE FROM messages WHERE ")
        messages.append(messages.isAny(of: ids, "id") + unused("messages.id"))
        messages.returning("id")
        return try await write(last + [messages], conflict: nil) { $0.count }
    }

    /// Rows one retention transaction deletes at most.
    static var pruneChunkRows: Int { 2_000 }

    public func sweepExpiredRecords(now: Timestamp, messagesBefore cutoff: Timestamp?) async throws -> Int {
        var keys = statement("DELETE FROM idempotency_keys WHERE ")
        keys.append("expires_at < \(keys.bind(now))")
        keys.returning("key")
        var answers: [SQLStatement] = []
        if let cutoff, cutoff.milliseconds > KSUID.epoch * 1000 {
            // Message ids sort by time: those before the cutoff's first id were accepted before it.
            var old = statement("DELETE FROM idempotency_keys WHERE ")
            old.append("resource_id >= \(old.bind(IDPrefix.message.rawValue))")
            old.append(" AND resource_id < \(old.bind(IDPrefix.message.startID(timestampMs: cutoff.milliseconds)))")
            old.returning("key")
            answers.append(old)
        }
        var revocations = statement("DELETE FROM revoked_tokens WHERE ")
        revocations.append("expires_at < \(revocations.bind(now))")
        revocations.returning("token_hash")
        // A gate long open with its arrival time long past reads the same as no gate.
        let stale = now.adding(milliseconds: -3_600_000)
        var gates = statement("DELETE FROM delivery_gates WHERE ")
        gates.append(
            "open_at < \(gates.bind(stale)) AND tat_us < \(gates.bind(stale.milliseconds.multipliedReportingOverflow(by: 1000).partialValue))"
        )
        gates.returning("key")
        var swept = try await write([keys], conflict: nil) { $0.count }
        for statement in answers { swept += try await write([statement], conflict: nil) { $0.count } }
        return swept + (try await write([revocations], conflict: nil) { $0.count }) + (try await write([gates], conflict: nil) { $0.count })
    }

    public func listAttempts(appID: String, query: AttemptQuery) async throws -> Page<Attempt> {
        var select = statement("SELECT a.* FROM attempts a")
        if query.eventTypes != nil || query.channel != nil { select.append(" JOIN messages m ON m.id = a.msg_id") }
        select.append(
            " WHERE a.app_id = \(select.bind(appID)) AND a.id >= \(select.bind(query.idRange.lower)) AND a.id < \(select.bind(query.idRange.upper))"
        )
        if let endpointID = query.endpointID { select.append(" AND a.endpoint_id = \(select.bind(endpointID))") }
        if let messageID = query.messageID { select.append(" AND a.msg_id = \(select.bind(messageID))") }
        if let status = query.status { select.append(" AND a.status = \(select.bind(status.rawValue))") }
        if let codeClass = query.statusCodeClass {
            select.append(" AND a.response_status_code BETWEEN \(select.bind(codeClass)) AND \(select.bind(codeClass + 99))")
        }
        select.appendMessageFilters(eventTypes: query.eventTypes, channel: query.channel, alias: "m")
        select.appendPaging(column: "a.id", page: query.page)
        return query.page.page(fromScanned: try await rows(select) { try Attempt(stored: $0) })
    }

    public func attempt(appID: String, messageID: String, attemptID: String) async throws -> Attempt? {
        var select = statement("SELECT * FROM attempts WHERE ")
        select.append("app_id = \(select.bind(appID)) AND msg_id = \(select.bind(messageID)) AND id = \(select.bind(attemptID))")
        return try await rows(select) { try Attempt(stored: $0) }.first
    }

    public func expungeAttemptResponse(appID: String, attemptID: String) async throws {
        var update = statement("UPDATE attempts SET response = NULL WHERE ")
        update.append("app_id = \(update.bind(appID)) AND id = \(update.bind(attemptID))")
        try await write([update])
    }

    public func listAttemptedMessages(
        appID: String,
        endpointID: String,
        query: MessageQuery,
        status: MessageStatus?
    ) async throws -> Page<(Message, DestinationState)> {
        var select = statement(
            """
            SELECT m.*, d.status AS delivery_status, d.next_attempt_at AS delivery_next, d.lease_owner AS delivery_lease
            FROM deliveries d JOIN messages m ON m.id = d.msg_id
            WHERE d.trigger_type = \(TriggerType.scheduled.sql)
            """
        )
        select.append(
            " AND d.app_id = \(select.bind(appID)) AND d.endpoint_id = \(select.bind(endpointID))"
                + " AND m.id >= \(select.bind(query.idRange.lower)) AND m.id < \(select.bind(query.idRange.upper))"
        )
        if let status { select.append(" AND d.status = \(select.bind(status.rawValue))") }
        select.appendMessageFilters(eventTypes: query.eventTypes, channel: query.channel, alias: "m")
        select.appendPaging(column: "m.id", page: query.page)
        return query.page.page(fromScanned: try await rows(select) { (try Message(stored: $0), try DestinationState(stored: $0)) })
    }

    public func listAttemptedDestinations(appID: String, messageID: String, page: PageRequest) async throws -> Page<(Endpoint, DestinationState)> {
        var select = statement(
            """
            SELECT e.*, d.status AS delivery_status, d.next_attempt_at AS delivery_next, d.lease_owner AS delivery_lease
            FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
            WHERE d.trigger_type = \(TriggerType.scheduled.sql)
            """
        )
        select.append(" AND d.app_id = \(select.bind(appID)) AND d.msg_id = \(select.bind(messageID))")
        select.appendPaging(column: "e.id", page: page)
        let sealer = self.sealer
        return page.page(fromScanned: try await rows(select) { (try Endpoint(stored: $0, sealer: sealer), try DestinationState(stored: $0)) })
    }

    public func endpointStats(endpointID: String, since: Timestamp, until: Timestamp) async throws -> EndpointStats {
        var select = statement("SELECT status, COUNT(*) AS n FROM deliveries WHERE ")
        select.append(
            "endpoint_id = \(select.bind(endpointID)) AND trigger_type = \(TriggerType.scheduled.sql)"
                + " AND created_at >= \(select.bind(since)) AND created_at < \(select.bind(until)) GROUP BY status"
        )
        let counts = try await rows(select) { (MessageStatus(rawValue: try $0.int("status")), try $0.int("n")) }
        return EndpointStats(counts: Dictionary(counts.compactMap { status, n in status.map { ($0, n) } }, uniquingKeysWith: +))
    }

    @discardableResult
    public func enqueueManualAttempt(appID: String, messageID: String, endpointID: String, now: Timestamp) async throws -> Bool {
        var insert = statement(
            "INSERT INTO deliveries (msg_id, app_id, endpoint_id, trigger_type, status, next_attempt_at, created_at, updated_at) SELECT "
        )
        insert.append(
            "m.id, m.app_id, \(insert.bind(endpointID)), \(TriggerType.manual.sql), "
                + "\(MessageStatus.pending.sql), \(insert.bind(now)), \(insert.bind(now)), \(insert.bind(now))"
                + " FROM messages m WHERE m.app_id = \(insert.bind(appID)) AND m.id = \(insert.bind(messageID))"
        )
        // The message row is locked against retention deleting it meanwhile (one writer at a time on SQLite): either
        // the delivery is queued and keeps the message, or the message is gone and so is the request (404).
        if dialect == .postgres { insert.append(" FOR KEY SHARE OF m") }
        insert.returning("1 AS queued")
        guard try await write([insert], conflict: nil, decode: { $0.count }) > 0 else { return false }
        deliveriesBecameDue()
        return true
    }

    public func recoverFailedDeliveries(endpointID: String, since: Timestamp, until: Timestamp, now: Timestamp) async throws -> Int {
        var update = statement("UPDATE deliveries SET ")
        // An ordered endpoint's come back parked, behind its head, in order.
        update.append(
            "status = \(MessageStatus.pending.sql), attempt_count = 0, next_attempt_at = \(update.bind(now)), "
                + "parked = EXISTS (SELECT 1 FROM endpoints e WHERE e.id = \(update.bind(endpointID)) AND e.\(dialect.orderedEndpoint)), "
                + "updated_at = \(update.bind(now))"
                + " WHERE endpoint_id = \(update.bind(endpointID)) AND trigger_type = \(TriggerType.scheduled.sql)"
                + " AND status = \(MessageStatus.fail.sql) AND created_at >= \(update.bind(since)) AND created_at < \(update.bind(until))"
        )
        update.returning("id")
        let count = try await write([update], conflict: nil) { $0.count }
        if count > 0 {
            try await write(OrderedDeliveries.advance(endpointID: endpointID, dialect))
            deliveriesBecameDue()
        }
        return count
    }

    public func revokeToken(hash: String, expiresAt: Timestamp) async throws {
        var insert = statement("INSERT INTO revoked_tokens (token_hash, expires_at) VALUES (")
        insert.append("\(insert.bind(hash)), \(insert.bind(expiresAt))) ON CONFLICT (token_hash) DO NOTHING")
        // Records of tokens that have expired anyway are swept here, where new ones are written.
        var sweep = statement("DELETE FROM revoked_tokens WHERE ")
        sweep.append("expires_at < \(sweep.bind(Timestamp.now()))")
        try await write([insert, sweep])
    }

    public func isTokenRevoked(hashes: [String]) async throws -> Bool {
        guard !hashes.isEmpty else { return false }
        var select = statement("SELECT 1 AS revoked FROM revoked_tokens WHERE ")
        select.append(select.isAny(of: hashes, "token_hash") + " LIMIT 1")
        return !(try await rows(select) { try $0.integer("revoked") }.isEmpty)
    }

    /// Makes `owner`'s leases due now (every lease, with nil: only for a process that owns the database alone; with
    /// several instances a dead instance's leases simply run out).
    public func releaseLeases(owner: String?, now: Timestamp) async throws {
        var update = statement("UPDATE deliveries SET ")
        // Leased rows are always unparked and open: the due index finds them (no index holds the owner).
        update.append("next_attempt_at = \(update.bind(now)), \(Lease.cleared) WHERE next_attempt_at IS NOT NULL AND \(dialect.unparked) AND ")
        if let owner {
            update.append("lease_owner = \(update.bind(owner))")
        } else {
            update.append("lease_owner IS NOT NULL")
        }
        try await write([update])
        deliveriesBecameDue()
    }
}
