import Foundation
import GRDB
import HeraldCore
import HeraldSQL

extension SQLiteStore {
    func leaseDeliveries(
        limit: Int,
        now: Timestamp,
        leaseUntil: Timestamp,
        owner: String,
        room: EndpointRoom
    ) async throws
        -> [DeliveryTask]
    {
        // Endpoint ids are Herald's own (`ep_` and base62): JSON strings as they are, no encoder needed.
        let full = "[" + room.full.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let busy = "{" + room.busy.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        let fullApps = "[" + room.fullApps.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let busyApps = "{" + room.busyApps.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        return try await relaxedWrite { db in
            // Endpoints and applications closed for now (`DeliveryGate`) are passed over; when none is (the common
            // case, checked on the gates' index first) the claim reads without that test.
            let anyClosed =
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM delivery_gates WHERE open_at > ?)"),
                    arguments: [now.milliseconds]
                ) ?? true
            let open =
                anyClosed
                ? "AND endpoint_id NOT IN (SELECT key FROM delivery_gates WHERE open_at > ?)"
                    + " AND app_id NOT IN (SELECT key FROM delivery_gates WHERE open_at > ?)" : ""
            var arguments: StatementArguments = [leaseUntil.milliseconds, owner, now.milliseconds, now.milliseconds, full, fullApps]
            if anyClosed { arguments += [now.milliseconds, now.milliseconds] }
            arguments += [limit, busy, busyApps, room.cap, room.appCapBound]
            // A holder that dies leaves the row due again when its lease runs out (`Lease`). The
            // oldest `limit` due rows of endpoints and applications with room are ranked per endpoint; those that fit
            // their endpoint's cap are ranked per application, and must fit its cap too (so rows an endpoint has no room
            // for never take its application's).
            let ids = try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE deliveries SET lease_until = ?, lease_owner = ?
                        WHERE id IN (
                            SELECT id FROM (
                                SELECT fits.id,
                                    ROW_NUMBER() OVER (PARTITION BY fits.app_id ORDER BY fits.next_attempt_at, fits.id)
                                        + coalesce(busy_app.value, 0) AS app_slot
                                FROM (
                                    SELECT due.id, due.app_id, due.next_attempt_at,
                                        ROW_NUMBER() OVER (PARTITION BY due.endpoint_id ORDER BY due.next_attempt_at, due.id)
                                            + coalesce(busy.value, 0) AS slot
                                    FROM (
                                        SELECT id, endpoint_id, app_id, next_attempt_at FROM deliveries
                                        WHERE next_attempt_at <= ? AND \(Lease.free(at: "?")) AND parked = 0 AND endpoint_id NOT IN (SELECT value FROM json_each(?))
                                            AND app_id NOT IN (SELECT value FROM json_each(?))
                                            \(open)
                                        ORDER BY next_attempt_at LIMIT ?
                                    ) AS due
                                    LEFT JOIN json_each(?) AS busy ON busy.key = due.endpoint_id
                                ) AS fits
                                LEFT JOIN json_each(?) AS busy_app ON busy_app.key = fits.app_id
                                WHERE fits.slot <= ?
                            )
                            WHERE app_slot <= ?
                        )
                        RETURNING id
                        """
                ),
                arguments: arguments
            )
            guard !ids.isEmpty else { return [] }
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            let rows = try Row.fetchAll(
                db,
                // Column order matters: `DeliveryTask(row:)` reads by position.
                sql: """
                    SELECT d.id AS delivery_id, d.trigger_type, d.attempt_count,
                        a.org_id, a.id AS app_id, a.uid AS app_uid,
                        m.id AS msg_id, m.event_id, m.event_type, m.payload, m.payload_expires_at,
                        e.id AS endpoint_id, e.uid AS endpoint_uid, e.url, e.secret, e.previous_secrets, e.headers,
                        (e.disabled = 1 OR e.deleted_at IS NOT NULL OR a.deleted_at IS NOT NULL OR e.url = '\(EndpointURL.poller)') AS inactive,
                        m.trace_parent, e.policy, e.throttle_rate, a.throttle_rate, coalesce(g.breaker, 0), m.inbound,
                        CASE WHEN e.org_approved = 1 THEN a.allowed_subnets END
                    FROM deliveries d
                    JOIN messages m ON m.id = d.msg_id
                    JOIN endpoints e ON e.id = d.endpoint_id
                    JOIN applications a ON a.id = d.app_id
                    LEFT JOIN delivery_gates g ON g.key = d.endpoint_id
                    WHERE d.id IN (\(placeholders))
                    ORDER BY d.id
                    """,
                arguments: StatementArguments(ids)
            )
            return ClaimedRows.tasks(rows, logger: self.logger) { try DeliveryTask(row: $0, sealer: self.sealer) }
        }
    }

    func recordDelivery(
        _ task: DeliveryTask,
        result: DeliveryResult,
        owner: String,
        now: Timestamp,
        disableAfterSeconds: Int64
    ) async throws -> DeliveryEffects {
        try await results.submit(
            DeliveryCompletion(task: task, result: result, owner: owner, now: now, disableAfterSeconds: disableAfterSeconds)
        )
    }

    /// Records one delivery result inside the caller's transaction: the writes `DeliveryOutcome` and `AutoDisable`
    /// decide, as `DeliveryWrites` spells them.
    static func record(_ completion: DeliveryCompletion, db: Database) throws -> DeliveryEffects {
        let (task, now) = (completion.task, completion.now)
        if let attempt = completion.result.attempt {
            try db.run(DeliveryWrites.insertAttempt(attempt, .sqlite))
        }
        // A lease that ran out may have been taken over; the attempt is logged, the new holder owns the state.
        guard try !db.rows(DeliveryWrites.leaseHeld(deliveryID: task.deliveryID, owner: completion.owner, .sqlite)).isEmpty else {
            return DeliveryEffects()
        }
        let outcome = DeliveryOutcome(trigger: task.triggerType, result: completion.result, ordered: task.policy.isOrdered)
        var effects = DeliveryEffects()
        if outcome.disablesEndpoint, try !db.rows(DeliveryWrites.disableEndpoint(task.endpointID, now: now, .sqlite)).isEmpty {
            effects.endpointDisabled = now
        }
        try db.run(DeliveryWrites.change(outcome.row, deliveryID: task.deliveryID, now: now, .sqlite))
        if outcome.settlesScheduledDelivery {
            try db.run(DeliveryWrites.settleScheduledDelivery(messageID: task.messageID, endpointID: task.endpointID, now: now, .sqlite))
        }
        if outcome.clearsFailureTracking {
            try db.run(DeliveryWrites.clearFailureClock(endpointID: task.endpointID, .sqlite))
        }
        if outcome.advancesOrder {
            for statement in OrderedDeliveries.advance(endpointID: task.endpointID, .sqlite) { try db.run(statement) }
        }
        if outcome.countsTowardAutoDisable {
            let clock = try db.rows(DeliveryWrites.failureClock(endpointID: task.endpointID, .sqlite)).first.map(DeliveryWrites.clock)
            switch AutoDisable.decide(clock: clock, now: now, disableAfterSeconds: completion.disableAfterSeconds) {
            case .start(let start):
                try db.run(DeliveryWrites.startFailureClock(endpointID: task.endpointID, start, replacing: clock, .sqlite))
            case .wait:
                break
            case .disable(let since):
                if try !db.rows(DeliveryWrites.disableEndpoint(task.endpointID, now: now, .sqlite)).isEmpty {
                    effects.endpointDisabled = since
                }
            }
        }
        return effects
    }
}

extension Database {
    /// Runs a shared statement, prepared once per connection (its text is the same on every call).
    func run(_ statement: SQLStatement) throws {
        try cachedStatement(sql: statement.sql).execute(arguments: statement.arguments)
    }

    /// The rows of a shared statement, prepared once per connection.
    func rows(_ statement: SQLStatement) throws -> [Row] {
        try Row.fetchAll(try cachedStatement(sql: statement.sql), arguments: statement.arguments)
    }
}

extension DeliveryTask {
    /// From a row of the claim's SELECT, read by position (GRDB's by-name lookup lowercases each name: a measurable cost
    /// per delivery).
    init(row: Row, sealer: SecretSealer) throws {
        let sealed = try SealedColumns(
            secret: try row.decode(atIndex: 14),
            previousSecrets: try row.decode(atIndex: 15),
            headers: try row.decode(atIndex: 16),
            appID: try row.decode(atIndex: 4),
            endpointID: try row.decode(atIndex: 11),
            sealer: sealer
        )
        let payload: Data? = try row.decode(atIndex: 9)
        self.init(
            deliveryID: try row.decode(atIndex: 0),
            triggerType: TriggerType(rawValue: try row.decode(atIndex: 1)) ?? .scheduled,
            attemptNumber: try row.decode(atIndex: 2),
            orgID: try row.decode(atIndex: 3),
            appID: try row.decode(atIndex: 4),
            appUID: try row.decode(atIndex: 5),
            messageID: try row.decode(atIndex: 6),
            eventID: try row.decode(atIndex: 7),
            eventType: try row.decode(atIndex: 8),
            payload: payload.map { Array($0) },
            payloadExpiresAt: Timestamp(milliseconds: try row.decode(atIndex: 10)),
            endpointID: try row.decode(atIndex: 11),
            endpointUID: try row.decode(atIndex: 12),
            url: try row.decode(atIndex: 13),
            secret: sealed.secret,
            previousSecrets: sealed.previousSecrets,
            headers: sealed.headers,
            endpointInactive: try row.decode(atIndex: 17),
            traceParent: try row.decode(atIndex: 18),
            policy: EndpointPolicy.decoded(stored: try row.decode(atIndex: 19))?.policy ?? EndpointPolicy(),
            throttleRate: ThrottleRate(stored: try row.decode(atIndex: 20)),
            appThrottleRate: ThrottleRate(stored: try row.decode(atIndex: 21)),
            breaker: BreakerState(rawValue: try row.decode(atIndex: 22)) ?? .open
        )
        inbound = InboundEnvelope(storedJSON: try row.decode(atIndex: 23))
        appAllowedSubnets = (try? Application.subnets(stored: try row.decode(atIndex: 24))) ?? []
    }
}
