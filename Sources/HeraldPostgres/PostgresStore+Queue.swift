import HeraldCore
import PostgresNIO

/// Queue bookkeeping (claims, results, deferrals) commits with `synchronous_commit = off`: it survives a crash of
/// Herald, and a database crash can lose only the last moments of it — which means a resend, never a lost message.
/// Messages themselves always commit synchronously. `set_config(…, true)` scopes the setting to the statement's own
/// transaction, so it costs no extra round trip.
let relaxedCommit = "relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)"

extension PostgresStore {
    /// Leases due deliveries in one statement. `FOR UPDATE SKIP LOCKED` lets every instance claim at once without
    /// waiting on, or double-claiming, each other's rows; the lease is the due time, so a dead holder's rows fall
    /// due again when it runs out.
    public func claimDeliveries(
        limit: Int,
        now: Timestamp,
        leaseUntil: Timestamp,
        owner: String,
        room: EndpointRoom
    ) async throws
        -> [DeliveryTask]
    {
        let busy = room.busy
        var bindings = Bindings()
        bindings.add(leaseUntil.milliseconds)
        bindings.add(owner)
        bindings.add(now.milliseconds)
        bindings.add(room.full)
        bindings.add(limit)
        bindings.add(Array(busy.keys))
        bindings.add(busy.values.map(Int64.init))
        bindings.add(room.cap)
        let busyApps = room.busyApps
        bindings.add(room.fullApps)
        bindings.add(Array(busyApps.keys))
        bindings.add(busyApps.values.map(Int64.init))
        bindings.add(room.appCapBound)
        let statement = bindings.prepared(Statements.ClaimDeliveries.self)
        let sealer = self.sealer
        let logger = self.logger
        let rows = try await perform { client in try await client.rows(statement) }
        return ClaimedRows.tasks(rows, logger: logger) { try DeliveryTask(row: $0, sealer: sealer) }
    }

    public func completeDelivery(
        _ task: DeliveryTask,
        result: DeliveryResult,
        owner: String,
        now: Timestamp,
        disableAfterSeconds: Int64
    ) async throws -> DeliveryEffects {
        let outcome = DeliveryOutcome(trigger: task.triggerType, result: result)
        if outcome.isRoutine {
            let entry = ResultBatcher.Entry(task: task, result: result, outcome: outcome, owner: owner, now: now)
            try await results.submit(
                entry,
                splits: { ($0 as? StorageError) != .unavailable },
                write: { entries in try await recordRoutineResults(entries) }
            )
            return DeliveryEffects()
        }
        return try await transaction { connection in
            try await self.recordResult(
                task,
                result: result,
                outcome: outcome,
                owner: owner,
                now: now,
                disableAfterSeconds: disableAfterSeconds,
                connection: connection
            )
        }
    }

    /// Writes a batch of routine results — scheduled deliveries that succeeded, will retry, or ended without an
    /// attempt — in one statement (see `ResultBatcher`).
    func recordRoutineResults(_ entries: [ResultBatcher.Entry]) async throws {
        var columns = RoutineResultColumns()
        for entry in entries { columns.append(entry) }
        let statement = columns.bindings().prepared(Statements.RoutineResults.self)
        _ = try await perform { client in try await client.rows(statement) }
    }

    /// The outcomes that are not routine (manual attempts, endpoints to disable, exhausted deliveries), in one
    /// transaction.
    private func recordResult(
        _ task: DeliveryTask,
        result: DeliveryResult,
        outcome: DeliveryOutcome,
        owner: String,
        now: Timestamp,
        disableAfterSeconds: Int64,
        connection: PostgresConnection
    ) async throws -> DeliveryEffects {
        let logger = self.logger
        try await connection.query("SELECT set_config('synchronous_commit', 'off', true)", logger: logger).drain()
        if let attempt = result.attempt {
            try await connection.query(
                """
                INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, response, response_status_code,
                    response_duration_ms, status, trigger_type, created_at)
                VALUES (\(attempt.id), \(attempt.messageID), \(attempt.endpointID), \(attempt.appID), \(attempt.url),
                    \(attempt.response), \(attempt.responseStatusCode), \(attempt.responseDurationMs), \(attempt.status.rawValue),
                    \(attempt.triggerType.rawValue), \(attempt.createdAt.milliseconds))
                """,
                logger: logger
            ).drain()
        }
        let stillOurs = try await connection.rows(
            "SELECT 1 FROM deliveries WHERE id = \(task.deliveryID) AND lease_owner = \(owner) FOR UPDATE",
            logger: logger
        )
        // A lease that ran out may have been taken over; the attempt is logged, the new holder owns the state.
        guard !stillOurs.isEmpty else { return DeliveryEffects() }
        var effects = DeliveryEffects()
        if outcome.disablesEndpoint, try await disable(endpointID: task.endpointID, now: now, connection: connection) {
            effects.endpointDisabled = now
        }
        switch outcome.row {
        case .delete:
            try await connection.query("DELETE FROM deliveries WHERE id = \(task.deliveryID)", logger: logger).drain()
        case .update(let status, let next, let attemptsAdded):
            try await connection.query(
                """
                UPDATE deliveries SET status = \(status.rawValue), next_attempt_at = \(next?.milliseconds), lease_owner = NULL,
                    attempt_count = attempt_count + \(attemptsAdded), updated_at = \(now.milliseconds)
                WHERE id = \(task.deliveryID)
                """,
                logger: logger
            ).drain()
        }
        if outcome.settlesScheduledDelivery {
            try await connection.query(
                """
                UPDATE deliveries SET status = \(MessageStatus.success.rawValue), next_attempt_at = NULL, updated_at = \(now.milliseconds)
                WHERE msg_id = \(task.messageID) AND endpoint_id = \(task.endpointID)
                    AND trigger_type = \(TriggerType.scheduled.rawValue) AND lease_owner IS NULL
                """,
                logger: logger
            ).drain()
        }
        if outcome.clearsFailureTracking {
            try await connection.query("DELETE FROM endpoint_failures WHERE endpoint_id = \(task.endpointID)", logger: logger).drain()
        }
        if outcome.countsTowardAutoDisable,
            let since = try await recordExhaustion(
                endpointID: task.endpointID,
                now: now,
                disableAfterSeconds: disableAfterSeconds,
                connection: connection
            )
        {
            effects.endpointDisabled = since
        }
        return effects
    }

    /// Disables an endpoint; returns whether it was enabled until now.
    private func disable(endpointID: String, now: Timestamp, connection: PostgresConnection) async throws -> Bool {
        let disabled = try await connection.rows(
            "UPDATE endpoints SET disabled = TRUE, updated_at = \(now.milliseconds) WHERE id = \(endpointID) AND NOT disabled RETURNING 1",
            logger: logger
        )
        return !disabled.isEmpty
    }

    /// Runs the endpoint's auto-disable clock (`AutoDisable`). The clock row is created if missing and then locked,
    /// so instances recording exhaustions of one endpoint at once take turns. Returns when failures began if it
    /// disabled the endpoint.
    private func recordExhaustion(
        endpointID: String,
        now: Timestamp,
        disableAfterSeconds: Int64,
        connection: PostgresConnection
    ) async throws -> Timestamp? {
        let rows = try await connection.rows(
            "SELECT first_failure_at, expires_at FROM endpoint_failures WHERE endpoint_id = \(endpointID) FOR UPDATE",
            logger: logger
        )
        let clock = try rows.first.map {
            AutoDisable.Clock(firstFailureAt: try $0.timestamp("first_failure_at"), expiresAt: try $0.timestamp("expires_at"))
        }
        switch AutoDisable.decide(clock: clock, now: now, disableAfterSeconds: disableAfterSeconds) {
        case .start(let clock):
            try await connection.query(
                """
                INSERT INTO endpoint_failures (endpoint_id, first_failure_at, expires_at)
                VALUES (\(endpointID), \(clock.firstFailureAt.milliseconds), \(clock.expiresAt.milliseconds))
                ON CONFLICT (endpoint_id) DO UPDATE SET first_failure_at = excluded.first_failure_at, expires_at = excluded.expires_at
                """,
                logger: logger
            ).drain()
            return nil
        case .wait:
            return nil
        case .disable(let since):
            return try await disable(endpointID: endpointID, now: now, connection: connection) ? since : nil
        }
    }
}

extension DeliveryTask {
    init(row: PostgresRandomAccessRow, sealer: SecretSealer) throws {
        let sealed = try SealedColumns(stored: row, idColumn: "endpoint_id", sealer: sealer)
        self.init(
            deliveryID: try row.value("delivery_id"),
            triggerType: TriggerType(rawValue: try row.value("trigger_type")) ?? .scheduled,
            attemptNumber: try row.value("attempt_count"),
            orgID: try row.value("org_id"),
            appID: try row.value("app_id"),
            appUID: try row.value("app_uid"),
            messageID: try row.value("msg_id"),
            eventID: try row.value("event_id"),
            eventType: try row.value("event_type"),
            payload: try row.bytes("payload"),
            payloadExpiresAt: try row.timestamp("payload_expires_at"),
            endpointID: try row.value("endpoint_id"),
            endpointUID: try row.value("endpoint_uid"),
            url: try row.value("url"),
            secret: sealed.secret,
            previousSecrets: sealed.previousSecrets,
            headers: sealed.headers,
            endpointInactive: try row.value("inactive")
        )
    }
}

/// The columns of `Statements.RoutineResults`, one array per column.
struct RoutineResultColumns {
    var hasAttempt: [Bool] = []
    var attemptID: [String] = []
    var messageID: [String] = []
    var endpointID: [String] = []
    var appID: [String] = []
    var url: [String] = []
    var hasResponse: [Bool] = []
    var response: [String] = []
    var statusCode: [Int] = []
    var durationMs: [Int64] = []
    var attemptStatus: [Int] = []
    var triggerType: [Int] = []
    var attemptAt: [Int64] = []
    var deliveryStatus: [Int] = []
    var nextAttemptAt: [Int64] = []
    var attemptsAdded: [Int] = []
    var owner: [String] = []
    var clearsFailures: [Bool] = []
    var deliveryID: [Int64] = []
    var updatedAt: [Int64] = []

    mutating func append(_ entry: ResultBatcher.Entry) {
        // Routine outcomes always update the row (`DeliveryOutcome.isRoutine`).
        guard case .update(let status, let next, let attemptsAdded) = entry.outcome.row else { return }
        // Without an attempt its columns hold placeholders of the right types; the insert skips the row.
        let attempt = entry.result.attempt
        hasAttempt.append(attempt != nil)
        attemptID.append(attempt?.id ?? "")
        messageID.append(attempt?.messageID ?? "")
        endpointID.append(attempt?.endpointID ?? "")
        appID.append(attempt?.appID ?? "")
        url.append(attempt?.url ?? "")
        hasResponse.append(attempt?.response != nil)
        response.append(attempt?.response ?? "")
        statusCode.append(attempt?.responseStatusCode ?? 0)
        durationMs.append(attempt?.responseDurationMs ?? 0)
        attemptStatus.append(attempt?.status.rawValue ?? 0)
        triggerType.append(attempt?.triggerType.rawValue ?? 0)
        attemptAt.append(attempt?.createdAt.milliseconds ?? 0)
        deliveryStatus.append(status.rawValue)
        nextAttemptAt.append(next?.milliseconds ?? -1)
        self.attemptsAdded.append(attemptsAdded)
        owner.append(entry.owner)
        clearsFailures.append(entry.outcome.clearsFailureTracking)
        deliveryID.append(entry.task.deliveryID)
        updatedAt.append(entry.now.milliseconds)
    }

    func bindings() -> Bindings {
        var bindings = Bindings()
        bindings.add(hasAttempt)
        bindings.add(attemptID)
        bindings.add(messageID)
        bindings.add(endpointID)
        bindings.add(appID)
        bindings.add(url)
        bindings.add(hasResponse)
        bindings.add(response)
        bindings.add(statusCode)
        bindings.add(durationMs)
        bindings.add(attemptStatus)
        bindings.add(triggerType)
        bindings.add(attemptAt)
        bindings.add(deliveryStatus)
        bindings.add(nextAttemptAt)
        bindings.add(attemptsAdded)
        bindings.add(owner)
        bindings.add(clearsFailures)
        bindings.add(deliveryID)
        bindings.add(updatedAt)
        return bindings
    }
}
