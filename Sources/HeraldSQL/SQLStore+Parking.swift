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
}

extension SQLDialect {
    /// An endpoint's due, unparked deliveries are found by walking the due index (kept short by parking) rather than
    /// through an index of their own, which every claim and result would have to write as well. SQLite is told to;
    /// PostgreSQL's planner prefers the small partial index by itself.
    var dueIndex: String { self == .postgres ? "" : " INDEXED BY deliveries_due" }
}

extension SQLStore {
    public func parkBacklog(endpointID: String, keep: Int, now: Timestamp) async throws {
        var park = statement(
            "UPDATE deliveries SET parked = \(dialect.parkedValue) WHERE id IN (SELECT id FROM deliveries\(dialect.dueIndex) WHERE "
        )
        // Due ones only: a retry scheduled later is parked when it falls due, if the endpoint is still slow then.
        park.append(
            "next_attempt_at <= \(park.bind(now)) AND \(dialect.unparked) AND endpoint_id = \(park.bind(endpointID))"
                + " AND lease_owner IS NULL ORDER BY next_attempt_at, id"
                + (dialect == .postgres ? " OFFSET " : " LIMIT -1 OFFSET ") + "\(park.bind(max(0, keep))))"
        )
        var mark = statement("INSERT INTO parked_endpoints (endpoint_id, parked_at) VALUES (")
        mark.append("\(mark.bind(endpointID)), \(mark.bind(now))) ON CONFLICT (endpoint_id) DO NOTHING")
        try await write([park, mark])
    }

    public func releaseParked(endpointID: String, count: Int) async throws -> Int {
        let released = try await release(endpointID: endpointID, count: max(1, count))
        if released > 0 { deliveriesBecameDue() }
        return released
    }

    public func releaseParked(keep: Int, now: Timestamp) async throws -> Int {
        let keep = max(1, keep)
        let endpoints = try await rows(statement("SELECT endpoint_id FROM parked_endpoints ORDER BY parked_at LIMIT 1000")) {
            try $0.text("endpoint_id")
        }
        var released = 0
        for endpointID in endpoints {
            var waiting = statement("SELECT COUNT(*) AS n FROM (SELECT 1 FROM deliveries\(dialect.dueIndex) WHERE ")
            // Due now and unparked: what claims can still take (a leased row's time is its lease, in the future).
            waiting.append(
                "next_attempt_at <= \(waiting.bind(now)) AND \(dialect.unparked) AND endpoint_id = \(waiting.bind(endpointID))"
                    + " LIMIT \(waiting.bind(keep))) AS w"
            )
            let unparked = try await rows(waiting) { try $0.int("n") }.first ?? 0
            // Let back what brings it to `keep` waiting, once it is down to half: fewer, larger releases.
            guard unparked <= keep / 2 else { continue }
            released += try await release(endpointID: endpointID, count: keep - unparked)
        }
        if released > 0 { deliveriesBecameDue() }
        return released
    }

    /// Unparks the endpoint's `count` oldest parked deliveries; with none left parked, strikes it off the list.
    private func release(endpointID: String, count: Int) async throws -> Int {
        var release = statement("UPDATE deliveries SET parked = \(dialect.unparkedValue) WHERE id IN (SELECT id FROM deliveries WHERE ")
        release.append(
            "endpoint_id = \(release.bind(endpointID)) AND next_attempt_at IS NOT NULL AND \(dialect.parked)"
                + " ORDER BY next_attempt_at, id LIMIT \(release.bind(count)))"
        )
        release.returning("id")
        let released = try await write([release], conflict: nil) { rows in rows.count }
        if released < count {
            var done = statement("DELETE FROM parked_endpoints WHERE ")
            done.append(
                "endpoint_id = \(done.bind(endpointID)) AND NOT EXISTS (SELECT 1 FROM deliveries WHERE endpoint_id = "
                    + "\(done.bind(endpointID)) AND next_attempt_at IS NOT NULL AND \(dialect.parked))"
            )
            try await write([done])
        }
        return released
    }
}
