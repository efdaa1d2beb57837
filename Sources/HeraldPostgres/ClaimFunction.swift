/// The claim (`Statements.ClaimDeliveries`) as a function in the database, so that PostgreSQL plans it once per
/// connection rather than on every claim: PL/pgSQL keeps a statement's plan for the session, where an unnamed statement
/// is planned each time it runs (1.1–1.9 ms of each claim, ~10–12 % of PostgreSQL's CPU in a drain). PostgresNIO's own
/// prepared statements would do the same, but they read their rows through its async row sequence, which ends the
/// process when the connection closes in the middle of an answer (`PostgresConnection.rows`); calling the function is an
/// ordinary statement, read as every other.
///
/// The plan is generic (`plan_cache_mode`), so it must hold whatever the parameters: the busy endpoints' and
/// applications' requests in flight come as JSON objects looked up per row (an array joined under a plan that guessed
/// its length became a nested loop comparing every due row with every busy endpoint), and `carriers` is materialised
/// (otherwise the generic plan ran it again for each claimed row).
///
/// A migration creates it, and its text never changes: a claim that must change is a new function with the next
/// number, so that instances of both versions can run side by side during an upgrade. What it spells out (the lease's
/// columns, `Lease.free`; the poller's URL, `EndpointURL.poller`) is fixed with it.
enum ClaimFunction {
    /// Parameters: lease until, owner, now, endpoints with no room, limit, the requests in flight of busy endpoints (a
    /// JSON object by endpoint id), the per-endpoint cap, applications with no room, the requests in flight of busy
    /// applications (likewise), the per-application cap, ids to pass over. The columns are `ClaimColumn`'s.
    static let call = "SELECT * FROM herald_claim_deliveries_1($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"

    /// Leases due deliveries, no more per endpoint and per application than its room. The rows that fit are chosen
    /// first, unlocked, and only they are locked (each lock is a write and a WAL record: locking the whole window and
    /// keeping the part an application had room for locked up to six rows per row taken). Locking re-checks that a row
    /// is still due and free, so a row another instance took (or holds) meanwhile is passed over: `chosen` lists what
    /// was chosen, and `PostgresStore.leaseDeliveries` claims again past the ones lost. A delivery whose message
    /// retention removed (a resend racing the prune) comes back inactive, so it is ended rather than claimed again and
    /// again. The output columns share names with the tables' columns, which win (`use_column`).
    static let create = """
        CREATE FUNCTION herald_claim_deliveries_1(bigint, text, bigint, text[], bigint, text, bigint, text[], text, bigint, bigint[])
        RETURNS TABLE (chosen bigint[], delivery_id bigint, trigger_type integer, attempt_count integer, org_id text, app_id text,
            app_uid text, msg_id text, carries_message boolean, message_found boolean, event_id text, event_type text,
            payload bytea, payload_expires_at bigint, trace_parent text, inbound text, endpoint_id text, endpoint_uid text,
            url text, secret text, previous_secrets text, headers text, inactive boolean, allowed_subnets text, policy text,
            endpoint_throttle_rate bigint, app_throttle_rate bigint, breaker bigint, setting text)
        LANGUAGE plpgsql VOLATILE
        SET plan_cache_mode = force_generic_plan
        AS $claim$
        #variable_conflict use_column
        BEGIN
        RETURN QUERY
        WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS setting),
        due AS (
            SELECT id, endpoint_id, app_id, next_attempt_at FROM deliveries
            WHERE next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) AND NOT parked
                AND NOT (endpoint_id = ANY($4)) AND NOT (app_id = ANY($8))
                AND endpoint_id NOT IN (SELECT key FROM delivery_gates WHERE open_at > $3)
                AND app_id NOT IN (SELECT key FROM delivery_gates WHERE open_at > $3)
                AND NOT (id = ANY($11))
            ORDER BY next_attempt_at LIMIT $5
        ),
        chosen AS (
            SELECT id FROM (
                SELECT fits.id,
                    row_number() OVER (PARTITION BY fits.app_id ORDER BY fits.next_attempt_at, fits.id)
                        + coalesce(($9::jsonb ->> fits.app_id)::int8, 0) AS app_slot
                FROM (
                    SELECT due.id, due.app_id, due.next_attempt_at,
                        row_number() OVER (PARTITION BY due.endpoint_id ORDER BY due.next_attempt_at, due.id)
                            + coalesce(($6::jsonb ->> due.endpoint_id)::int8, 0) AS slot
                    FROM due
                ) fits
                WHERE fits.slot <= $7
            ) ranked
            WHERE app_slot <= $10
        ),
        claimed AS (
            UPDATE deliveries SET lease_until = $1, lease_owner = $2
            WHERE id IN (
                SELECT id FROM deliveries
                WHERE id IN (SELECT id FROM chosen)
                    AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) AND NOT parked
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id, trigger_type, attempt_count, msg_id, endpoint_id, app_id
        ),
        -- A message is read, and its columns sent, once per claim, on the first of its deliveries claimed (fanned out,
        -- a claim holds many of one message's). Every claimed row is answered, so each carrier is: the joins below
        -- cannot drop one (endpoints are referenced, and neither they nor applications are ever deleted, only marked).
        carriers AS MATERIALIZED (
            SELECT first.id, m.id IS NOT NULL AS found, m.event_id, m.event_type, m.payload, m.payload_expires_at,
                m.trace_parent, m.inbound
            FROM (SELECT min(id) AS id, msg_id FROM claimed GROUP BY msg_id) first
            LEFT JOIN messages m ON m.id = first.msg_id
        )
        SELECT CASE WHEN row_number() OVER () = 1 THEN n.chosen END AS chosen, c.id AS delivery_id, c.trigger_type,
            c.attempt_count, a.org_id, a.id AS app_id, a.uid AS app_uid,
            c.msg_id, cm.id IS NOT NULL AS carries_message, coalesce(cm.found, false) AS message_found, cm.event_id,
            coalesce(cm.event_type, '') AS event_type, cm.payload, coalesce(cm.payload_expires_at, 0) AS payload_expires_at,
            cm.trace_parent, cm.inbound,
            e.id AS endpoint_id, e.uid AS endpoint_uid, e.url, e.secret, e.previous_secrets, e.headers,
            (e.disabled OR e.deleted_at IS NOT NULL OR a.deleted_at IS NOT NULL OR e.url = 'poller://') AS inactive,
            CASE WHEN e.org_approved THEN a.allowed_subnets END AS allowed_subnets, e.policy,
            e.throttle_rate AS endpoint_throttle_rate, a.throttle_rate AS app_throttle_rate, coalesce(g.breaker, 0) AS breaker,
            r.setting
        FROM claimed c
        CROSS JOIN relaxed r
        LEFT JOIN carriers cm ON cm.id = c.id
        JOIN endpoints e ON e.id = c.endpoint_id
        JOIN applications a ON a.id = c.app_id
        LEFT JOIN delivery_gates g ON g.key = c.endpoint_id
        -- What was chosen: on one row only (on each, it made the answer grow with the square of the claim), and on a row
        -- of its own when none was claimed. The rows come unsorted: sorting them here moved every payload.
        RIGHT JOIN (SELECT coalesce(array_agg(id), '{}') AS chosen FROM chosen) n ON true;
        END
        $claim$
        """
}
