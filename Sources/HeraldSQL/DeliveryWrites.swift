import HeraldCore

/// The statements that record one delivery result as `DeliveryOutcome` and `AutoDisable` decide it. Each backend
/// runs them in one transaction in the order its `record` shows: the attempt; the lease check (nothing more if the
/// lease was taken over); then the outcome's writes.
public enum DeliveryWrites {
    public static func insertAttempt(_ attempt: Attempt, _ dialect: SQLDialect) -> SQLStatement {
        var insert = SQLStatement(
            dialect,
            "INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, response, response_status_code, response_duration_ms,"
                + " status, trigger_type, created_at) VALUES ("
        )
        insert.append(
            [
                insert.bind(attempt.id), insert.bind(attempt.messageID), insert.bind(attempt.endpointID), insert.bind(attempt.appID),
                insert.bind(attempt.url), insert.bind(attempt.response), insert.bind(attempt.responseStatusCode),
                insert.bind(attempt.responseDurationMs), insert.bind(attempt.status.rawValue), insert.bind(attempt.triggerType.rawValue),
                insert.bind(attempt.createdAt),
            ].joined(separator: ", ") + ")"
        )
        return insert
    }

    /// A row while `owner` still holds the delivery's lease (locked until the transaction ends where rows lock).
    public static func leaseHeld(deliveryID: Int64, owner: String, _ dialect: SQLDialect) -> SQLStatement {
        var select = SQLStatement(dialect, "SELECT id FROM deliveries WHERE ")
        select.append("id = \(select.bind(deliveryID)) AND lease_owner = \(select.bind(owner))" + dialect.lockingRows)
        return select
    }

    /// Disables the endpoint if enabled; returns a row when it did.
    public static func disableEndpoint(_ endpointID: String, now: Timestamp, _ dialect: SQLDialect) -> SQLStatement {
        var update = SQLStatement(dialect, "UPDATE endpoints SET ")
        update.append(
            "disabled = \(update.bind(true)), updated_at = \(update.bind(now))"
                + " WHERE id = \(update.bind(endpointID)) AND disabled = \(update.bind(false))"
        )
        update.returning("id")
        return update
    }

    public static func change(_ change: DeliveryOutcome.RowChange, deliveryID: Int64, now: Timestamp, _ dialect: SQLDialect) -> SQLStatement {
        switch change {
        case .delete:
            var delete = SQLStatement(dialect, "DELETE FROM deliveries WHERE ")
            delete.append("id = \(delete.bind(deliveryID))")
            return delete
        case .update(let status, let next, let attemptsAdded):
            var update = SQLStatement(dialect, "UPDATE deliveries SET ")
            update.append(
                "status = \(update.bind(status.rawValue)), next_attempt_at = \(update.bind(next?.milliseconds)), \(Lease.cleared), "
                    + "attempt_count = attempt_count + \(update.bind(attemptsAdded)), updated_at = \(update.bind(now))"
                    + " WHERE id = \(update.bind(deliveryID))"
            )
            return update
        }
    }

    /// The message's scheduled delivery to the endpoint, if waiting (not leased), marked delivered.
    public static func settleScheduledDelivery(messageID: String, endpointID: String, now: Timestamp, _ dialect: SQLDialect) -> SQLStatement {
        var update = SQLStatement(dialect, "UPDATE deliveries SET ")
        update.append(
            "status = \(MessageStatus.success.sql), next_attempt_at = NULL, parked = \(dialect.unparkedValue), updated_at = \(update.bind(now))"
                + " WHERE msg_id = \(update.bind(messageID)) AND endpoint_id = \(update.bind(endpointID))"
                + " AND trigger_type = \(TriggerType.scheduled.sql) AND lease_owner IS NULL"
        )
        return update
    }

    public static func clearFailureClock(endpointID: String, _ dialect: SQLDialect) -> SQLStatement {
        var delete = SQLStatement(dialect, "DELETE FROM endpoint_failures WHERE ")
        delete.append("endpoint_id = \(delete.bind(endpointID))")
        return delete
    }

    /// The endpoint's auto-disable clock (locked, where rows lock, so instances recording at once take turns).
    public static func failureClock(endpointID: String, _ dialect: SQLDialect) -> SQLStatement {
        var select = SQLStatement(dialect, "SELECT first_failure_at, expires_at FROM endpoint_failures WHERE ")
        select.append("endpoint_id = \(select.bind(endpointID))" + dialect.lockingRows)
        return select
    }

    /// Stores a new clock in place of `replacing` (the one read, nil if none): compare-and-set, so of two instances
    /// starting a clock at once the first one's stands.
    public static func startFailureClock(
        endpointID: String,
        _ clock: AutoDisable.Clock,
        replacing previous: AutoDisable.Clock?,
        _ dialect: SQLDialect
    ) -> SQLStatement {
        var upsert = SQLStatement(dialect, "INSERT INTO endpoint_failures (endpoint_id, first_failure_at, expires_at) VALUES (")
        upsert.append(
            "\(upsert.bind(endpointID)), \(upsert.bind(clock.firstFailureAt)), \(upsert.bind(clock.expiresAt)))"
                + " ON CONFLICT (endpoint_id) DO "
        )
        if let previous {
            upsert.append(
                "UPDATE SET first_failure_at = excluded.first_failure_at, expires_at = excluded.expires_at"
                    + " WHERE endpoint_failures.first_failure_at = \(upsert.bind(previous.firstFailureAt))"
            )
        } else {
            upsert.append("NOTHING")
        }
        return upsert
    }

    /// The clock as stored.
    public static func clock(_ row: some StoredRow) throws -> AutoDisable.Clock {
        AutoDisable.Clock(firstFailureAt: try row.timestamp("first_failure_at"), expiresAt: try row.timestamp("expires_at"))
    }
}

/// Where a message goes: the statement that reads an application's live, enabled endpoints for
/// `EndpointMatching.targets`, on every backend.
public enum FanOutCandidates {
    public static func statement(appID: String, _ dialect: SQLDialect) -> SQLStatement {
        var select = SQLStatement(dialect, "SELECT id, url, event_types, channels, policy FROM endpoints WHERE ")
        select.append("app_id = \(select.bind(appID)) AND deleted_at IS NULL AND disabled = \(select.bind(false))")
        return select
    }

    public static func candidate(_ row: some StoredRow) throws -> EndpointMatching.Candidate {
        let policy = EndpointPolicy.decoded(stored: try row.optionalText("policy"))
        return EndpointMatching.Candidate(
            id: try row.text("id"),
            url: try row.text("url"),
            eventTypes: try filter(try row.optionalText("event_types")),
            channels: try filter(try row.optionalText("channels")),
            filter: policy?.filter,
            ordered: policy?.policy.isOrdered ?? false
        )
    }

    /// Endpoint filters by their stored text. Decoding is a pure function of the text, so one cache serves every store.
    private static let decodedFilters = ColumnCache<String, [String]?>()

    private static func filter(_ text: String?) throws -> [String]? {
        guard let text else { return nil }
        return try decodedFilters.value(for: text) { try JSONColumn.decode([String].self, text) }
    }
}

extension SQLDialect {
    /// ` FOR UPDATE` where concurrent transactions can race for a row (PostgreSQL); SQLite has one writer.
    public var lockingRows: String { self == .postgres ? " FOR UPDATE" : "" }
}
