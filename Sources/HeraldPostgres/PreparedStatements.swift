import HeraldCore
import HeraldSQL
import PostgresNIO

/// The text of a statement on a hot path (every message accepted, every delivery claimed or recorded).
protocol StatementText {
    static var sql: String { get }
}

/// The text of a statement whose answer is one short row whatever it is given (5 KB at most), so that PostgreSQL sends
/// the answer in one piece (its output buffer holds 8 KB): prepared once per connection, so PostgreSQL parses and plans
/// it once rather than on every call. Only such statements may be prepared: PostgresNIO reads a prepared statement's
/// rows through its async row sequence, which ends the process if the server closes the connection in the middle of
/// an answer (see `PostgresConnection.rows`); an answer sent in one piece has no middle.
protocol SmallAnswerText: StatementText {}

/// A statement over one of the texts below, with its parameters bound in the order of their `$n`.
struct Statement<Text: StatementText>: Sendable {
    var bindings: PostgresBindings

    var query: PostgresQuery { PostgresQuery(unsafeSQL: Text.sql, binds: bindings) }
}

extension Statement: PostgresPreparedStatement where Text: SmallAnswerText {
    typealias Row = PostgresRandomAccessRow

    static var sql: String { Text.sql }
    static var name: String { "herald_" + String(describing: Text.self) }

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRandomAccessRow { row.makeRandomAccess() }
}

extension PostgresClient {
    /// Every row of a statement.
    func rows<Text>(_ statement: Statement<Text>) async throws -> [PostgresRandomAccessRow] {
        try await rows(statement.query)
    }

    /// Every row of a prepared statement.
    func rows<Text: SmallAnswerText>(_ statement: Statement<Text>) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await execute(statement) { rows.append(row) }
        return rows
    }

    /// Every row of a prepared statement that writes, returned only once its commit is done (`committedRows(_:)`).
    func committedRows<Text: SmallAnswerText>(_ statement: Statement<Text>) async throws -> [PostgresRandomAccessRow] {
        try await withConnection { connection in
            var rows: [PostgresRandomAccessRow] = []
            for try await row in try await connection.execute(statement, logger: connection.logger) { rows.append(row) }
            try await connection.waitForCommit()
            return rows
        }
    }
}

/// Builds the bindings of a prepared statement in order.
struct Bindings {
    private(set) var values = PostgresBindings()

    mutating func add<Value: PostgresDynamicTypeEncodable>(_ value: Value) {
        values.append(value)
    }

    mutating func add<Value: PostgresDynamicTypeEncodable>(_ value: Value?) {
        values.append(value)
    }

    func statement<Text: StatementText>(_ text: Text.Type) -> Statement<Text> {
        Statement(bindings: values)
    }
}

/// The newest transaction id below which every transaction of the cluster has ended: feed entries of older
/// transactions can no longer be joined by one committing behind them.
let feedHorizon = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"

/// The hot-path statements.
enum Statements {
    /// Which of the token hashes `$1` are revoked: one character per hash, in order, `1` for revoked (a few hundred
    /// bytes for a whole batch, where the hashes themselves could pass PostgreSQL's 8 KB).
    enum RevokedTokens: SmallAnswerText {
        static let sql = """
            SELECT coalesce(string_agg(CASE WHEN r.token_hash IS NULL THEN '0' ELSE '1' END, '' ORDER BY i.n), '') AS revoked
            FROM unnest($1::text[]) WITH ORDINALITY AS i(hash, n) LEFT JOIN revoked_tokens r ON r.token_hash = i.hash
            """
    }

    /// Several application lookups at once: `$1` organisations, `$2` ids or uids, `$3` whether each is an id. Each row
    /// carries the number (from 1) of the lookup it answers in `lookup`.
    enum Applications: StatementText {
        static let sql = """
            WITH lookups AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::bool[]) WITH ORDINALITY AS l(org_id, key, by_id, n)
            )
            SELECT l.n AS lookup, a.* FROM lookups l JOIN applications a ON a.id = l.key AND a.org_id = l.org_id
            WHERE l.by_id AND a.deleted_at IS NULL
            UNION ALL
            SELECT l.n AS lookup, a.* FROM lookups l JOIN applications a ON a.uid = l.key AND a.org_id = l.org_id
            WHERE NOT l.by_id AND a.deleted_at IS NULL
            """
    }

    /// The live, enabled endpoints of several applications (`$1`) with their filters, for `EndpointMatching` to choose
    /// among (the columns of `FanOutCandidates`, and the application's id).
    enum CandidateEndpoints: StatementText {
        static let sql = """
            SELECT app_id, id, url, event_types, channels, policy FROM endpoints
            WHERE app_id = ANY($1::text[]) AND deleted_at IS NULL AND NOT disabled
            """
    }

    /// What deliveries to the endpoints `$1` are sent with (`EndpointSending`), read for those a batch leases on
    /// acceptance (a few per batch, by primary key); an endpoint or application gone or disabled is left out.
    enum SendingEndpoints: StatementText {
        static let sql = """
            SELECT e.app_id, e.id, e.url, e.uid, e.secret, e.previous_secrets, e.headers, e.policy,
                e.throttle_rate IS NOT NULL OR a.throttle_rate IS NOT NULL AS throttled, a.org_id, a.uid AS app_uid,
                CASE WHEN e.org_approved THEN a.allowed_subnets END AS allowed_subnets
            FROM endpoints e JOIN applications a ON a.id = e.app_id
            WHERE e.id = ANY($1::text[]) AND e.deleted_at IS NULL AND NOT e.disabled AND a.deleted_at IS NULL
            """
    }

    /// Claims the message's event id (`$4`, when given) for its application: taken, the statement fails on the unique
    /// key, and the message is refused with a 409.
    static let eventIDTaken = """
        event_id_taken AS (
            INSERT INTO message_event_ids (app_id, event_id, msg_id) SELECT $2, $4, $1 WHERE $4::text IS NOT NULL
        )
        """

    /// Messages and their fan-out, as `EndpointMatching` chose it, in one statement (one commit for all of them: group
    /// commit). `$1`–`$13`, `$18` and `$19` are the messages' columns (`MessageColumns`; a `has_` column says whether
    /// the next one holds a value or a placeholder), `$14`/`$15` with `$24`–`$27` the deliveries to queue (message id,
    /// endpoint id, and the message's application, creation time, place and whether it has an event id), `$16`/`$17`
    /// with `$28`–`$30` the feed entries to append likewise, and `$20`–`$23` the idempotent answers to keep. `$31` says
    /// which deliveries to lease on acceptance, to owner `$32` until `$33` if a claim at `$34` could take them; those
    /// leased come back in `leased_*` (at most `AcceptanceLeases.maxPerBatch`, so the answer stays one short row:
    /// with `refused` for every other message of a full batch, under 5 KB). A message whose event id its application already has (stored, or earlier in the batch) is
    /// not stored, and its place in the batch (from 1) comes back in `refused`: a duplicate fails only itself, not the batch. The choice of
    /// endpoints was made on endpoints read just before; the statement takes only those still live and enabled, and of
    /// the same kind (push or poll), as it sees them. A delivery is born parked for an endpoint whose backlog is parked
    /// (its list row held `FOR KEY SHARE` so that a release cannot strike it off unseen) and for an ordered endpoint, as
    /// the statement sees it (`OrderedDeliveries`). Deliveries are numbered in the order the messages arrived, which is
    /// their order for an ordered endpoint. Event ids are claimed in key order, so two batches holding the same ids
    /// (a client retrying through another instance) take their locks in the same order rather than deadlocking.
    /// The statement is prepared and planned once per connection. Each array is read through a subquery, `(SELECT $n)`,
    /// so that no plan sees how many elements it holds (PostgreSQL guesses ten): a plan made for one batch then costs
    /// what a plan for any other would, and PostgreSQL keeps its generic plan after five runs. Given the arrays
    /// themselves it planned every batch again (~0.6 ms of its ~1.5 in the ingest benchmark, whose messages fan out
    /// to no endpoint). With ten guessed, a join of the destinations with another set of rows became a nested loop
    /// comparing every destination with every message (45 ms for 63 messages to 100 endpoints) or with every endpoint
    /// (170 ms). So each destination carries its message's columns, and its endpoint is one lookup by primary key
    /// (`OFFSET 0` keeps that subquery a lookup per destination whatever the plan).
    enum MessagesFanOut: SmallAnswerText {
        static let sql = """
            WITH input AS (
                SELECT * FROM unnest(
                    (SELECT $1::text[]), (SELECT $2::text[]), (SELECT $3::text[]), (SELECT $4::bool[]), (SELECT $5::text[]),
                    (SELECT $6::bool[]), (SELECT $7::text[]), (SELECT $8::bool[]), (SELECT $9::bytea[]), (SELECT $10::int8[]),
                    (SELECT $11::int8[]), (SELECT $12::bool[]), (SELECT $13::text[]), (SELECT $18::bool[]), (SELECT $19::text[])
                ) WITH ORDINALITY AS i(id, app_id, event_type, has_event_id, event_id, has_channels, channels, has_payload,
                    payload, payload_expires_at, created_at, has_trace_parent, trace_parent, has_inbound, inbound, arrival)
            ),
            event_id_taken AS (
                INSERT INTO message_event_ids (app_id, event_id, msg_id)
                SELECT app_id, event_id, id FROM input WHERE has_event_id ORDER BY app_id, event_id, arrival
                ON CONFLICT DO NOTHING
                RETURNING msg_id
            ),
            -- The same test is applied to each destination in `queued` and `fed`, and inverted in `refused`.
            accepted AS (
                SELECT * FROM input WHERE NOT has_event_id OR id IN (SELECT msg_id FROM event_id_taken)
            ),
            message AS (
                INSERT INTO messages (id, app_id, event_type, event_id, channels, payload, payload_expires_at, created_at, trace_parent,
                    inbound)
                SELECT id, app_id, event_type, CASE WHEN has_event_id THEN event_id END,
                    CASE WHEN has_channels THEN channels END, CASE WHEN has_payload THEN payload END,
                    payload_expires_at, created_at, CASE WHEN has_trace_parent THEN trace_parent END,
                    CASE WHEN has_inbound THEN inbound END
                FROM accepted ORDER BY arrival
            ),
            queued AS (
                INSERT INTO deliveries (msg_id, app_id, endpoint_id, trigger_type, status, next_attempt_at, created_at, updated_at, parked,
                    lease_owner, lease_until)
                SELECT chosen.msg_id, chosen.app_id, target.id, \(TriggerType.scheduled.sql), \(MessageStatus.pending.sql),
                    chosen.created_at, chosen.created_at, chosen.created_at, place.parked,
                    CASE WHEN lease.taken THEN (SELECT $32::text) END, CASE WHEN lease.taken THEN (SELECT $33::int8) END
                FROM unnest(
                    (SELECT $14::text[]), (SELECT $15::text[]), (SELECT $24::text[]), (SELECT $25::int8[]), (SELECT $26::int8[]),
                    (SELECT $27::bool[]), (SELECT $31::bool[])
                )
                    AS chosen(msg_id, endpoint_id, app_id, created_at, arrival, has_event_id, lease)
                CROSS JOIN LATERAL (
                    SELECT e.id, e.fifo, e.throttle_rate FROM endpoints e
                    WHERE e.id = chosen.endpoint_id AND e.deleted_at IS NULL AND NOT e.disabled AND e.url <> '\(EndpointURL.poller)'
                    OFFSET 0
                ) target
                CROSS JOIN LATERAL (
                    SELECT target.fifo OR EXISTS (SELECT 1 FROM parked_endpoints p WHERE p.endpoint_id = target.id FOR KEY SHARE) AS parked
                    OFFSET 0
                ) place
                -- Leased on acceptance (`AcceptedDeliveryTaker`) where asked, and only if a claim could take it now and
                -- send it as it is: not parked, not throttled, its application not deleted, its endpoint and application
                -- open with the breaker closed. The tests after `chosen.lease` run only where it holds.
                CROSS JOIN LATERAL (
                    SELECT chosen.lease AND NOT place.parked AND target.throttle_rate IS NULL
                        AND NOT EXISTS (SELECT 1 FROM delivery_gates g
                            WHERE g.key IN (target.id, chosen.app_id) AND (g.open_at > (SELECT $34::int8) OR g.breaker <> \(BreakerState.closed.rawValue)))
                        AND NOT EXISTS (SELECT 1 FROM applications a
                            WHERE a.id = chosen.app_id AND (a.throttle_rate IS NOT NULL OR a.deleted_at IS NOT NULL)) AS taken
                    OFFSET 0
                ) lease
                WHERE NOT chosen.has_event_id OR chosen.msg_id IN (SELECT msg_id FROM event_id_taken)
                ORDER BY chosen.arrival
                RETURNING id, msg_id, endpoint_id, lease_owner IS NOT NULL AS leased
            ),
            fed AS (
                INSERT INTO poller_feed (endpoint_id, msg_id, created_at)
                SELECT target.id, chosen.msg_id, chosen.created_at
                FROM unnest((SELECT $16::text[]), (SELECT $17::text[]), (SELECT $28::int8[]), (SELECT $29::int8[]), (SELECT $30::bool[]))
                    AS chosen(msg_id, endpoint_id, created_at, arrival, has_event_id)
                CROSS JOIN LATERAL (
                    SELECT e.id FROM endpoints e
                    WHERE e.id = chosen.endpoint_id AND e.deleted_at IS NULL AND NOT e.disabled AND e.url = '\(EndpointURL.poller)'
                    OFFSET 0
                ) target
                WHERE NOT chosen.has_event_id OR chosen.msg_id IN (SELECT msg_id FROM event_id_taken)
                ORDER BY chosen.arrival
                RETURNING 1
            ),
            -- An idempotent request's answer, kept in the same transaction as its message (IdempotentAnswer).
            -- Inserted again if a claim swept the key meanwhile (its lock ran out); one row per key, or PostgreSQL
            -- refuses to change a row twice in one statement.
            answered AS (
                INSERT INTO idempotency_keys (key, state, lock_until, response, resource_id, expires_at)
                SELECT DISTINCT ON (a.key) a.key, 'completed', NULL::int8, a.response, a.msg_id, a.expires_at
                FROM unnest((SELECT $20::text[]), (SELECT $21::text[]), (SELECT $22::bytea[]), (SELECT $23::int8[])) AS a(key, msg_id, response, expires_at)
                WHERE a.msg_id IN (SELECT id FROM accepted)
                ORDER BY a.key, a.msg_id
                ON CONFLICT (key) DO UPDATE SET state = 'completed', lock_until = NULL, response = excluded.response,
                    resource_id = excluded.resource_id, expires_at = excluded.expires_at
            )
            SELECT (SELECT count(*) FROM queued) AS queued, (SELECT count(*) FROM fed) AS fed,
                ARRAY(SELECT arrival FROM input WHERE has_event_id AND id NOT IN (SELECT msg_id FROM event_id_taken))::int8[] AS refused,
                l.ids AS leased_ids, l.messages AS leased_messages, l.endpoints AS leased_endpoints
            FROM (
                SELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(msg_id), '{}') AS messages,
                    coalesce(array_agg(endpoint_id), '{}') AS endpoints
                FROM queued WHERE leased
            ) l
            """
    }

    /// A message sent to the one endpoint `$10` (an example): a manual delivery, or a feed entry for a polling endpoint.
    enum MessageToOneEndpoint: SmallAnswerText {
        static let sql = """
            WITH message AS (
                INSERT INTO messages (id, app_id, event_type, event_id, channels, payload, payload_expires_at, created_at, trace_parent)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                RETURNING id
            ),
            \(eventIDTaken),
            target AS (
                SELECT EXISTS (SELECT 1 FROM endpoints WHERE id = $10 AND url = '\(EndpointURL.poller)') AS poller
            ),
            queued AS (
                INSERT INTO deliveries (msg_id, app_id, endpoint_id, trigger_type, status, next_attempt_at, created_at, updated_at)
                SELECT message.id, $2, $10, \(TriggerType.manual.sql), \(MessageStatus.pending.sql), $8, $8, $8
                FROM message, target WHERE NOT target.poller
                RETURNING 1
            ),
            fed AS (
                INSERT INTO poller_feed (endpoint_id, msg_id, created_at)
                SELECT $10, message.id, $8 FROM message, target WHERE target.poller
                RETURNING 1
            ),
            -- An idempotent request's answer (key $11, response $12, expiry $13), kept with its message as in
            -- MessagesFanOut.
            answered AS (
                INSERT INTO idempotency_keys (key, state, lock_until, response, resource_id, expires_at)
                SELECT $11::text, 'completed', NULL::int8, $12::bytea, message.id, $13::int8 FROM message WHERE $11::text IS NOT NULL
                ON CONFLICT (key) DO UPDATE SET state = 'completed', lock_until = NULL, response = excluded.response,
                    resource_id = excluded.resource_id, expires_at = excluded.expires_at
            )
            SELECT (SELECT count(*) FROM queued) AS queued, (SELECT count(*) FROM fed) AS fed
            """
    }

    /// A polling endpoint's feed after a position, up to the horizon: entries of transactions older than every
    /// transaction still running (so none can still appear before them). Parameters: endpoint, position, limit.
    enum ReadFeed: StatementText {
        static let sql = """
            SELECT f.xid AS feed_xid, f.seq AS feed_seq, m.* FROM poller_feed f JOIN messages m ON m.id = f.msg_id
            WHERE f.endpoint_id = $1 AND (f.xid, f.seq) > ($2, $3)
                AND f.xid < \(feedHorizon)
            ORDER BY f.xid, f.seq LIMIT $4
            """
    }

    /// Leases due deliveries, no more per endpoint and per application than its room. The rows that fit are chosen
    /// first, unlocked, and only they are locked (each lock is a write and a WAL record: locking the whole window and
    /// keeping the part an application had room for locked up to six rows per row taken). Locking re-checks that a row
    /// is still due and free, so a row another instance took (or holds) meanwhile is passed over: `chosen` lists what
    /// was chosen, and `PostgresStore.leaseDeliveries` claims again past the ones lost. A delivery whose message
    /// retention removed (a resend racing the prune) comes back inactive, so it is ended rather than claimed again and
    /// again. Parameters: lease until, owner, now, endpoints with no room, limit, busy endpoints and their requests in
    /// flight, the per-endpoint cap, applications with no room, busy applications and their requests in flight, the
    /// per-application cap, ids to pass over. The columns are read by position (`ClaimColumn`).
    enum ClaimDeliveries: StatementText {
        static let sql = """
            WITH \(relaxedCommit),
            due AS (
                SELECT id, endpoint_id, app_id, next_attempt_at FROM deliveries
                WHERE next_attempt_at <= $3 AND \(Lease.free(at: "$3")) AND NOT parked AND NOT (endpoint_id = ANY($4::text[])) AND NOT (app_id = ANY($9::text[]))
                    AND endpoint_id NOT IN (SELECT key FROM delivery_gates WHERE open_at > $3)
                    AND app_id NOT IN (SELECT key FROM delivery_gates WHERE open_at > $3)
                    AND NOT (id = ANY($13::int8[]))
                ORDER BY next_attempt_at LIMIT $5
            ),
            chosen AS (
                SELECT id FROM (
                    SELECT fits.id,
                        row_number() OVER (PARTITION BY fits.app_id ORDER BY fits.next_attempt_at, fits.id)
                            + coalesce(busy_app.in_flight, 0) AS app_slot
                    FROM (
                        SELECT due.id, due.app_id, due.next_attempt_at,
                            row_number() OVER (PARTITION BY due.endpoint_id ORDER BY due.next_attempt_at, due.id)
                                + coalesce(busy.in_flight, 0) AS slot
                        FROM due
                        LEFT JOIN unnest($6::text[], $7::int8[]) AS busy(endpoint_id, in_flight)
                            ON busy.endpoint_id = due.endpoint_id
                    ) fits
                    LEFT JOIN unnest($10::text[], $11::int8[]) AS busy_app(app_id, in_flight)
                        ON busy_app.app_id = fits.app_id
                    WHERE fits.slot <= $8
                ) ranked
                WHERE app_slot <= $12
            ),
            claimed AS (
                UPDATE deliveries SET lease_until = $1, lease_owner = $2
                WHERE id IN (
                    SELECT id FROM deliveries
                    WHERE id IN (SELECT id FROM chosen)
                        AND next_attempt_at <= $3 AND \(Lease.free(at: "$3")) AND NOT parked
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING id, trigger_type, attempt_count, msg_id, endpoint_id, app_id
            ),
            -- A message is read, and its columns sent, once per claim, on the first of its deliveries claimed (fanned out,
            -- a claim holds many of one message's).
            -- Every claimed row is answered, so each carrier is: the joins below cannot drop one (endpoints are referenced,
            -- and neither they nor applications are ever deleted, only marked).
            carriers AS (
                SELECT first.id, m.id IS NOT NULL AS found, m.event_id, m.event_type, m.payload, m.payload_expires_at,
                    m.trace_parent, m.inbound
                FROM (SELECT min(id) AS id, msg_id FROM claimed GROUP BY msg_id) first
                LEFT JOIN messages m ON m.id = first.msg_id
            )
            SELECT CASE WHEN row_number() OVER () = 1 THEN n.chosen END AS chosen, c.id AS delivery_id, c.trigger_type, c.attempt_count,
                a.org_id, a.id AS app_id, a.uid AS app_uid,
                c.msg_id, cm.id IS NOT NULL AS carries_message, coalesce(cm.found, false) AS message_found, cm.event_id,
                coalesce(cm.event_type, '') AS event_type, cm.payload, coalesce(cm.payload_expires_at, 0) AS payload_expires_at,
                cm.trace_parent, cm.inbound,
                e.id AS endpoint_id, e.uid AS endpoint_uid, e.url, e.secret, e.previous_secrets, e.headers,
                (e.disabled OR e.deleted_at IS NOT NULL OR a.deleted_at IS NOT NULL OR e.url = '\(EndpointURL.poller)') AS inactive,
                CASE WHEN e.org_approved THEN a.allowed_subnets END AS allowed_subnets, e.policy, e.throttle_rate AS endpoint_throttle_rate,
                a.throttle_rate AS app_throttle_rate, coalesce(g.breaker, 0) AS breaker, r.setting
            FROM claimed c
            CROSS JOIN relaxed r
            LEFT JOIN carriers cm ON cm.id = c.id
            JOIN endpoints e ON e.id = c.endpoint_id
            JOIN applications a ON a.id = c.app_id
            LEFT JOIN delivery_gates g ON g.key = c.endpoint_id
            -- What was chosen: on one row only (on each, it made the answer grow with the square of the claim), and
            -- on a row of its own when none was claimed. The rows come unsorted: sorting them here moved every payload.
            RIGHT JOIN (SELECT coalesce(array_agg(id), '{}') AS chosen FROM chosen) n ON true
            """
    }

    /// A batch of scheduled deliveries' routine results, one array element per result: log the attempt (where
    /// `has_attempt`), move the delivery on if its owner still holds the lease, and clear the endpoint's failure
    /// tracking on success. A NULL next attempt is sent as -1 (arrays of optionals do not bind).
    enum RoutineResults: SmallAnswerText {
        static let sql = """
            WITH \(relaxedCommit),
            input AS (
                SELECT * FROM unnest(
                    $1::bool[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::text[],
                    $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[],
                    $17::text[], $18::bool[], $19::int8[], $20::int8[]
                ) AS i(has_attempt, attempt_id, msg_id, endpoint_id, app_id, url, has_response, response,
                    status_code, duration_ms, attempt_status, trigger_type, attempt_at,
                    delivery_status, next_attempt_at, attempts_added, owner, clears_failures, delivery_id, updated_at)
            ),
            logged AS (
                INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, response, response_status_code,
                    response_duration_ms, status, trigger_type, created_at)
                SELECT attempt_id, msg_id, endpoint_id, app_id, url, CASE WHEN has_response THEN response END,
                    status_code, duration_ms, attempt_status, trigger_type, attempt_at
                FROM input WHERE has_attempt
            ),
            moved AS (
                UPDATE deliveries d SET status = i.delivery_status, next_attempt_at = NULLIF(i.next_attempt_at, -1),
                    \(Lease.cleared), attempt_count = d.attempt_count + i.attempts_added, updated_at = i.updated_at
                FROM input i
                -- The ids again as an array: the rows are found by primary key, not by a walk of another index.
                WHERE d.id = ANY($19::int8[]) AND d.id = i.delivery_id AND d.lease_owner = i.owner
                RETURNING d.endpoint_id, i.clears_failures
            ),
            cleared AS (
                DELETE FROM endpoint_failures WHERE endpoint_id IN (SELECT endpoint_id FROM moved WHERE clears_failures)
            )
            SELECT setting FROM relaxed
            """
    }
}
