import HeraldCore

/// Delivery gates (`DeliveryGate`): throttle reservations and slow-downs, one row per endpoint or application id in
/// `delivery_gates`, read and advanced in one transaction so that instances sharing the database take turns.
extension SQLStore {
    public func reserveSends(_ requests: [ThrottlePlanner.Request], now: Timestamp) async throws -> [[Timestamp]] {
        let keys = Array(Set(requests.flatMap(\.keys))).sorted()
        guard !keys.isEmpty else { return requests.map { Array(repeating: now, count: max(0, $0.count)) } }
        return try await update(reading: lockGates(keys)) { results in
            var planner = ThrottlePlanner(gates: try Self.gates(results.last ?? []), now: now)
            let times = requests.map { planner.reserve($0) }
            return (keys.compactMap { key in planner.gates[key].map { self.storeGate(key, $0) } }, times)
        }
    }

    public func slowDown(endpointID: String, retryAfterSeconds: Double?, now: Timestamp) async throws -> Timestamp {
        try await change(endpointID, deferringDue: true) { gate in
            let closed = SlowDown.close(gate, now: now, retryAfterSeconds: retryAfterSeconds)
            return (closed, closed.openAt)
        }
    }

    public func openBreaker(endpointID: String, until: Timestamp) async throws -> Bool {
        try await change(endpointID, deferringDue: true) { gate in
            (Breaker.open(gate, until: until), (gate?.breaker ?? .closed) == .closed)
        }
    }

    public func startProbe(endpointID: String, now: Timestamp, leaseUntil: Timestamp) async throws -> Bool {
        try await change(endpointID) { gate in
            guard let probing = Breaker.probe(gate, now: now, leaseUntil: leaseUntil) else { return (nil, false) }
            return (probing, true)
        }
    }

    public func closeBreaker(endpointID: String, now: Timestamp) async throws -> Bool {
        try await change(endpointID) { gate in (Breaker.close(gate, now: now), (gate?.breaker ?? .closed) != .closed) }
    }

    public func deliveryGate(key: String) async throws -> DeliveryGate? {
        var select = statement("SELECT key, tat_us, open_at, backoff_ms, breaker FROM delivery_gates WHERE ")
        select.append("key = \(select.bind(key))")
        return try await read([select]) { results in try Self.gates(results[0])[key] }
    }

    /// Reads the key's gate locked, stores what `decide` makes of it (nothing when it gives nil), returns its answer.
    /// `deferringDue`: when the gate now opens later than it did, the endpoint's waiting deliveries move to that time,
    /// so that claims do not read past them while it is closed (however many endpoints are closed at once), and it is
    /// listed as parked until then.
    private func change<T: Sendable>(
        _ key: String,
        deferringDue: Bool = false,
        _ decide: @escaping @Sendable (DeliveryGate?) -> (DeliveryGate?, T)
    ) async throws -> T {
        try await update(reading: lockGates([key])) { results in
            let stored = try Self.gates(results.last ?? [])[key]
            let (gate, answer) = decide(stored)
            guard let gate else { return ([], answer) }
            var writes = [self.storeGate(key, gate)]
            if deferringDue, gate.openAt > (stored?.openAt ?? Timestamp(milliseconds: 0)) {
                writes.append(self.deferDue(endpointID: key, until: gate.openAt))
                // Listed as parked, so that what is queued for it while it is closed is stored parked, not in the
                // claims' way (a dead endpoint's backlog keeps growing while its breaker is open).
                var list = self.statement("INSERT INTO parked_endpoints (endpoint_id, parked_at) VALUES (")
                list.append("\(list.bind(key)), \(list.bind(gate.openAt))) ON CONFLICT (endpoint_id) DO NOTHING")
                writes.append(list)
            }
            return (writes, answer)
        }
    }

    /// Moves the endpoint's unleased deliveries due before `until` to `until` (among the oldest due, as parking
    /// finds them; the rest are parked or further back). They keep their order: same time, then id.
    private func deferDue(endpointID: String, until: Timestamp) -> SQLStatement {
        var update = statement("UPDATE deliveries SET ")
        update.append("next_attempt_at = \(update.bind(until)) WHERE \(dialect.idInOpen)SELECT due.id FROM ")
        update.append(
            dueWindow(&update, now: until) + " WHERE due.endpoint_id = \(update.bind(endpointID)) AND due.lease_owner IS NULL"
                + dialect.idInClose
                + " AND lease_owner IS NULL"
        )
        return update
    }

    public func deferDeliveries(_ deliveryIDs: [Int64], owner: String, at: Timestamp) async throws {
        guard !deliveryIDs.isEmpty else { return }
        var update = statement("UPDATE deliveries SET ")
        update.append("next_attempt_at = \(update.bind(at)), \(Lease.cleared) WHERE lease_owner = \(update.bind(owner)) AND ")
        update.append("id IN (" + deliveryIDs.map { update.bind($0) }.joined(separator: ", ") + ")")
        try await writeRelaxed([update])
        deliveriesBecameDue()
    }

    public func nextDueTime(now: Timestamp) async throws -> Timestamp? {
        // Deliveries in flight are passed over: their sends' ends wake the dispatcher, and a dead holder's leases
        // are found within a poll interval of running out.
        var due = statement("SELECT next_attempt_at AS due FROM deliveries WHERE next_attempt_at IS NOT NULL AND \(dialect.unparked)")
        due.append(" AND \(Lease.free(at: due.bind(now)))" + Self.ungated(&due, now: now) + " ORDER BY next_attempt_at LIMIT 1")
        var opens = statement("SELECT MIN(open_at) AS due FROM delivery_gates WHERE ")
        opens.append("open_at > \(opens.bind(now))")
        return try await read([due, opens]) { results in
            try results.flatMap { rows in try rows.compactMap { try $0.optionalTimestamp("due") } }.min()
        }
    }

    /// ` AND …`: the row's endpoint and application are open now.
    static func ungated(_ select: inout SQLStatement, now: Timestamp) -> String {
        let closed = { (time: String) in "(SELECT key FROM delivery_gates WHERE open_at > \(time))" }
        return " AND endpoint_id NOT IN \(closed(select.bind(now))) AND app_id NOT IN \(closed(select.bind(now)))"
    }

    /// Makes sure each key has a row, then selects them locked, in key order (so two transactions never wait on each
    /// other crosswise).
    private func lockGates(_ keys: [String]) -> [SQLStatement] {
        var create = statement("INSERT INTO delivery_gates (key) SELECT ")
        switch dialect {
        case .postgres: create.append("unnest(\(create.bind(.textArray(keys))))")
        case .sqlite: create.append("value FROM json_each(\(create.bind(JSONColumn.encode(keys))))")
        }
        create.append(" WHERE true ON CONFLICT (key) DO NOTHING")
        var select = statement("SELECT key, tat_us, open_at, backoff_ms, breaker FROM delivery_gates WHERE ")
        select.append(select.isAny(of: keys, "key") + " ORDER BY key" + dialect.lockingRows)
        return [create, select]
    }

    /// Stores the gate whole (an upsert: a row the stale-gate sweep deleted meanwhile is written again).
    private func storeGate(_ key: String, _ gate: DeliveryGate) -> SQLStatement {
        var upsert = statement("INSERT INTO delivery_gates (key, tat_us, open_at, backoff_ms, breaker) VALUES (")
        upsert.append(
            "\(upsert.bind(key)), \(upsert.bind(gate.tatMicros)), \(upsert.bind(gate.openAt)), \(upsert.bind(gate.backoffMs)),"
                + " \(upsert.bind(gate.breaker.rawValue))) ON CONFLICT (key) DO UPDATE SET tat_us = excluded.tat_us,"
                + " open_at = excluded.open_at, backoff_ms = excluded.backoff_ms, breaker = excluded.breaker"
        )
        return upsert
    }

    private static func gates(_ rows: [Row]) throws -> [String: DeliveryGate] {
        var gates: [String: DeliveryGate] = [:]
        for row in rows {
            gates[try row.text("key")] = DeliveryGate(
                tatMicros: try row.integer("tat_us"),
                openAt: try row.timestamp("open_at"),
                backoffMs: try row.integer("backoff_ms"),
                // An unknown code is damage: read as open, so the endpoint is probed rather than hammered.
                breaker: BreakerState(rawValue: try row.int("breaker")) ?? .open
            )
        }
        return gates
    }
}
