import HeraldCore

/// Ordered endpoints (`DeliveryOrdering.fifo`): every delivery is stored parked; the one listed in `fifo_heads` (the
/// oldest) is unparked, so claims see one delivery of the endpoint at a time; when it is done the next comes due. The
/// statements run inside the transactions that store deliveries or their results, and a sweep repairs an endpoint
/// left without a head (a result and a new delivery committed at once on PostgreSQL may each miss the other).
public enum OrderedDeliveries {
    /// Makes the endpoint's next delivery due if its head is done (none if the endpoint is not ordered).
    public static func advance(endpointID: String, _ dialect: SQLDialect) -> [SQLStatement] {
        var done = SQLStatement(dialect, "DELETE FROM fifo_heads WHERE ")
        done.append(
            "endpoint_id = \(done.bind(endpointID)) AND NOT EXISTS (SELECT 1 FROM deliveries d"
                + " WHERE d.id = fifo_heads.delivery_id AND d.next_attempt_at IS NOT NULL)"
        )
        var head = SQLStatement(dialect, "INSERT INTO fifo_heads (endpoint_id, delivery_id) SELECT endpoint_id, id FROM deliveries WHERE ")
        head.append(
            "endpoint_id = \(head.bind(endpointID)) AND \(dialect.parked) AND next_attempt_at IS NOT NULL"
                + " AND trigger_type = \(TriggerType.scheduled.sql)"
                + " AND EXISTS (SELECT 1 FROM endpoints e WHERE e.id = \(head.bind(endpointID)) AND e.\(dialect.orderedEndpoint))"
                + " ORDER BY next_attempt_at, id LIMIT 1 ON CONFLICT (endpoint_id) DO NOTHING"
        )
        var due = SQLStatement(dialect, "UPDATE deliveries SET parked = \(dialect.unparkedValue) WHERE ")
        due.append("id = (SELECT delivery_id FROM fifo_heads WHERE endpoint_id = \(due.bind(endpointID))) AND \(dialect.parked)")
        return [done, head, due]
    }

    /// Before an endpoint's policy is stored: becoming ordered, its waiting deliveries are parked (the next `advance`
    /// picks the oldest as head); ceasing to be, it loses its head and its parked deliveries are listed for the
    /// parking sweep to let back.
    public static func switching(endpointID: String, toOrdered ordered: Bool, now: Timestamp, _ dialect: SQLDialect) -> [SQLStatement] {
        let wasOrdered = { (statement: inout SQLStatement) in
            "EXISTS (SELECT 1 FROM endpoints e WHERE e.id = \(statement.bind(endpointID)) AND e.\(dialect.orderedEndpoint))"
        }
        if ordered {
            var park = SQLStatement(dialect, "UPDATE deliveries SET parked = \(dialect.parkedValue) WHERE ")
            park.append(
                "endpoint_id = \(park.bind(endpointID)) AND next_attempt_at IS NOT NULL AND trigger_type = \(TriggerType.scheduled.sql)"
                    + " AND lease_owner IS NULL AND \(dialect.unparked) AND NOT \(wasOrdered(&park))"
                    + " AND EXISTS (SELECT 1 FROM endpoints l WHERE l.id = \(park.bind(endpointID)) AND l.deleted_at IS NULL)"
            )
            // Manual attempts are outside the order: any parked while it was unordered go now.
            var manual = SQLStatement(dialect, "UPDATE deliveries SET parked = \(dialect.unparkedValue) WHERE ")
            manual.append(
                "endpoint_id = \(manual.bind(endpointID)) AND \(dialect.parked) AND next_attempt_at IS NOT NULL"
                    + " AND trigger_type = \(TriggerType.manual.sql)"
            )
            return [park, manual]
        }
        var list = SQLStatement(dialect, "INSERT INTO parked_endpoints (endpoint_id, parked_at) SELECT ")
        list.append(
            "\(list.bind(endpointID)), \(list.bind(now)) WHERE \(wasOrdered(&list)) ON CONFLICT (endpoint_id) DO NOTHING"
        )
        var forget = SQLStatement(dialect, "DELETE FROM fifo_heads WHERE ")
        forget.append("endpoint_id = \(forget.bind(endpointID))")
        return [list, forget]
    }
}

extension SQLDialect {
    /// `endpoints.fifo` as a condition, spelt as its partial index spells it.
    public var orderedEndpoint: String { self == .postgres ? "fifo" : "fifo = 1" }
}

extension SQLStore {
    /// Gives every ordered endpoint that has waiting deliveries and no live, unparked head its next one: a few a
    /// pass, picked at random so that no set of endpoints can keep the others from their turn.
    func repairOrderedHeads() async throws -> Int {
        var stuck = statement("SELECT e.id FROM endpoints e WHERE ")
        stuck.append(
            "e.\(dialect.orderedEndpoint) AND NOT EXISTS (SELECT 1 FROM fifo_heads h JOIN deliveries d ON d.id = h.delivery_id"
                + " WHERE h.endpoint_id = e.id AND d.next_attempt_at IS NOT NULL AND d.parked = \(dialect.unparkedValue))"
                + " AND EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint_id = e.id AND \(dialect.parked) AND p.next_attempt_at IS NOT NULL"
                + " AND p.trigger_type = \(TriggerType.scheduled.sql))"
                + " ORDER BY random() LIMIT \(stuck.bind(sweepBatch))"
        )
        let endpoints = try await rows(stuck) { try $0.text("id") }
        for endpointID in endpoints { try await writeRelaxed(OrderedDeliveries.advance(endpointID: endpointID, dialect)) }
        if !endpoints.isEmpty { deliveriesBecameDue() }
        return endpoints.count
    }
}
