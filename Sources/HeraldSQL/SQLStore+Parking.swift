import HeraldCore

/// Parked deliveries: an endpoint that cannot take more keeps only its oldest few waiting deliveries where claims
/// look (the `deliveries_due` index holds unparked rows only); the rest wait parked, in order, and are let back a
/// few at a time as it has room. A claim's cost then depends on what it can deliver, not on how much one dead
/// endpoint has waiting. Parking is state in the database, so every instance releases what any instance parked.
extension SQLDialect {
    /// The condition, spelt as the partial indexes spell it (SQLite matches them only on the literal text).
    public var unparked: String { self == .postgres ? "NOT parked" : "parked = 0" }
    public var parked: String { self == .postgres ? "parked" : "parked = 1" }
    var parkedValue: String { self == .postgres ? "true" : "1" }
    var unparkedValue: String { self == .postgres ? "false" : "0" }

    /// `id IN (` and its `)` around a subquery choosing a few deliveries to update. PostgreSQL estimates such a subquery
    /// at thousands of rows (from its inner limit) and then reads the whole table for a hash join — 30 ms for 200,000
    /// deliveries, twice a second while a dead endpoint is parked, with the dispatcher waiting; an array it matches on
    /// the primary key, row by row.
    var idInOpen: String { self == .postgres ? "id = ANY(ARRAY(" : "id IN (" }
    var idInClose: String { self == .postgres ? "))" : ")" }
}

/// How far into the due index the parking statements look: claims read from its start, so an endpoint's deliveries
/// further back cost nothing yet, and a later pass finds them once they come within reach. It bounds each statement
/// when the whole queue is due (a backlog being drained).
let parkingWindow = 50_000

/// Parked endpoints one sweep looks at.
let sweepBatch = 64

extension SQLStore {
    /// The oldest `parkingWindow` due, unparked deliveries not in flight, found on the due index (kept short by parking) rather than
    /// through an index of their own, which every claim and result would have to write as well. SQLite is told to;
    /// PostgreSQL's planner takes the small partial index by itself.
    func dueWindow(_ select: inout SQLStatement, now: Timestamp) -> String {
        "(SELECT id, endpoint_id, lease_owner, next_attempt_at FROM deliveries"
            + (dialect == .postgres ? "" : " INDEXED BY deliveries_due")
            + " WHERE next_attempt_at <= \(select.bind(now)) AND \(Lease.free(at: select.bind(now))) AND \(dialect.unparked)"
            + " ORDER BY next_attempt_at, id LIMIT \(select.bind(parkingWindow))) AS due"
    }

    public func parkBacklog(endpointID: String, keep: Int, now: Timestamp) async throws {
        var park = statement("UPDATE deliveries SET parked = \(dialect.parkedValue) WHERE \(dialect.idInOpen)SELECT due.id FROM ")
        // Due ones only: a retry scheduled later is parked when it falls due, if the endpoint is still slow then.
        park.append(
            dueWindow(&park, now: now) + " WHERE due.endpoint_id = \(park.bind(endpointID)) AND due.lease_owner IS NULL"
                + " ORDER BY due.next_attempt_at, due.id"
                + (dialect == .postgres ? " OFFSET " : " LIMIT -1 OFFSET ") + "\(park.bind(max(0, keep)))" + dialect.idInClose
                // Checked again on the row itself: on PostgreSQL a claim may lease it between the choice and the update.
                + " AND lease_owner IS NULL AND \(dialect.unparked)"
                // Manual attempts are never parked: they are few, and they are outside an ordered endpoint's order, so
                // one parked as the endpoint became ordered (on PostgreSQL a park can commit after the switch) would
                // wait behind an order it is not part of.
                + " AND trigger_type = \(TriggerType.scheduled.sql)"
        )
        // An update, not a no-op, when listed already: it locks the row, so a release deciding to strike the endpoint
        // off waits for these parked rows and then sees them.
        var mark = statement("INSERT INTO parked_endpoints (endpoint_id, parked_at) VALUES (")
        mark.append(
            "\(mark.bind(endpointID)), \(mark.bind(now))) ON CONFLICT (endpoint_id) DO UPDATE SET parked_at = parked_endpoints.parked_at"
        )
        // An ordered endpoint's deliveries are parked already, but for its head.
        park.append(" AND NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = \(park.bind(endpointID)) AND e.\(dialect.orderedEndpoint))")
        try await writeRelaxed([park, mark])
    }

    public func releaseParked(endpointID: String, count: Int) async throws -> Int {
        // Not while its breaker is open or probing, whoever opened it: claims pass its rows over then, so it looks run
        // dry to a dispatcher that does not know, and would be let back again and again.
        let released = try await release(endpointID: endpointID, count: max(1, count), unlessBreakerOpen: true)
        if released > 0 { deliveriesBecameDue() }
        return released
    }

    public func releaseParked(keep: Int, now: Timestamp) async throws -> Int {
        let keep = max(1, keep)
        // A few endpoints a pass, least recently looked at first (each is marked), so one tenant's many parked
        // endpoints delay the others' by a few passes at most.
        var released = try await repairOrderedHeads()
        var next = statement("SELECT endpoint_id FROM parked_endpoints ORDER BY parked_at, endpoint_id LIMIT ")
        next.append("\(next.bind(sweepBatch))")
        let endpoints = try await rows(next) { try $0.text("endpoint_id") }
        guard !endpoints.isEmpty else { return released }
        var mark = statement("UPDATE parked_endpoints SET ")
        mark.append("parked_at = \(mark.bind(now)) WHERE " + mark.isAny(of: endpoints, "endpoint_id"))
        try await writeRelaxed([mark])
        for endpointID in endpoints {
            var waiting = statement("SELECT COUNT(*) AS n FROM (SELECT 1 FROM ")
            // Due now, unparked and not in flight: what claims can still take.
            waiting.append(
                dueWindow(&waiting, now: now) + " WHERE due.endpoint_id = \(waiting.bind(endpointID))"
                    + " LIMIT \(waiting.bind(keep))) AS w"
            )
            let unparked = try await rows(waiting) { try $0.int("n") }.first ?? 0
            // Let back what brings it to `keep` waiting, once it is down to half: fewer, larger releases.
            guard unparked <= keep / 2 else { continue }
            released += try await release(endpointID: endpointID, count: keep - unparked, now: now)
        }
        if released > 0 { deliveriesBecameDue() }
        return released
    }

    public func relistStrandedParked(after endpointID: String, limit: Int, now: Timestamp) async throws -> String? {
        var page = statement("SELECT id FROM endpoints WHERE ")
        page.append("id > \(page.bind(endpointID)) ORDER BY id LIMIT \(page.bind(max(1, limit)))")
        let endpoints = try await rows(page) { try $0.text("id") }
        guard let last = endpoints.last else { return nil }
        var find = statement("SELECT e.id FROM endpoints e WHERE ")
        find.append(
            find.isAny(of: endpoints, "e.id") + " AND NOT e.\(dialect.orderedEndpoint)"
                + " AND NOT EXISTS (SELECT 1 FROM parked_endpoints p WHERE p.endpoint_id = e.id)"
                + " AND EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id AND d.\(dialect.parked) AND d.next_attempt_at IS NOT NULL)"
        )
        // Read first, so a sweep that finds nothing (nearly always) writes nothing; listing one that was let back
        // meanwhile is harmless (the next sweep strikes it off).
        let stranded = try await rows(find) { try $0.text("id") }
        guard !stranded.isEmpty else { return last }
        var list = statement("INSERT INTO parked_endpoints (endpoint_id, parked_at) SELECT id, ")
        list.append(
            "\(list.bind(now)) FROM endpoints WHERE " + list.isAny(of: stranded, "id") + " ON CONFLICT (endpoint_id) DO NOTHING"
        )
        try await writeRelaxed([list])
        return last
    }

    /// Unparks the endpoint's `count` oldest parked deliveries; with none left parked, strikes it off the list — not
    /// while its gate is closed at `now` (given), so that what is queued for it meanwhile is still stored parked.
    private func release(endpointID: String, count: Int, now: Timestamp? = nil, unlessBreakerOpen: Bool = false) async throws -> Int {
        var release = statement("UPDATE deliveries SET parked = \(dialect.unparkedValue) WHERE \(dialect.idInOpen)SELECT id FROM deliveries WHERE ")
        release.append(
            "endpoint_id = \(release.bind(endpointID)) AND next_attempt_at IS NOT NULL AND \(dialect.parked)"
                + " ORDER BY next_attempt_at, id LIMIT \(release.bind(count))" + dialect.idInClose
                // Checked again on the row: a release running alongside may have let it back already (counted once).
                + " AND \(dialect.parked)"
                // An ordered endpoint's come due one at a time (`OrderedDeliveries`); it is struck off the list below.
                + " AND NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = \(release.bind(endpointID)) AND e.\(dialect.orderedEndpoint))"
        )
        if unlessBreakerOpen {
            release.append(" AND NOT EXISTS (SELECT 1 FROM delivery_gates g WHERE g.key = \(release.bind(endpointID)) AND g.breaker <> 0)")
        }
        release.returning("id")
        let released = try await update(reading: [release]) { rows in ([], rows.first?.count ?? 0) }
        if released < count {
            // On PostgreSQL the list row is locked first, in a statement of its own: a fan-out storing deliveries parked
            // (it holds the row `FOR KEY SHARE`) or a park (it updates the row) finishes before, and the check below,
            // a later statement, sees what it stored; one after waits, then finds the row gone and stores unparked.
            var lock = statement("SELECT endpoint_id FROM parked_endpoints WHERE ")
            lock.append("endpoint_id = \(lock.bind(endpointID))" + dialect.lockingRows)
            var done = statement("DELETE FROM parked_endpoints WHERE ")
            done.append(
                "endpoint_id = \(done.bind(endpointID)) AND (NOT EXISTS (SELECT 1 FROM deliveries WHERE endpoint_id = "
                    + "\(done.bind(endpointID)) AND next_attempt_at IS NOT NULL AND \(dialect.parked))"
                    + " OR EXISTS (SELECT 1 FROM endpoints e WHERE e.id = \(done.bind(endpointID)) AND e.\(dialect.orderedEndpoint)))"
            )
            if let now {
                done.append(
                    " AND NOT EXISTS (SELECT 1 FROM delivery_gates g WHERE g.key = \(done.bind(endpointID)) AND g.open_at > \(done.bind(now)))"
                )
            }
            try await update(reading: [lock]) { [done] _ in ([done], ()) }
        }
        return released
    }
}
