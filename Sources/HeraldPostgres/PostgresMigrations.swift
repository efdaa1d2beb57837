import HeraldCore
import Logging
import PostgresNIO

/// Herald's PostgreSQL schema: the same numbered, append-only migrations as SQLite, in PostgreSQL's dialect. Ids,
/// uids and names are `COLLATE "C"` so they sort by byte, as KSUIDs and Svix iterators require, whatever the
/// database's locale.
enum PostgresMigrations {
    static let all: [(identifier: String, statements: [String])] = [
        ("0001_core", core),
        ("0002_delivery", delivery),
        ("0003_revoked_tokens", revokedTokens),
        ("0004_poller", poller),
        ("0005_sealed_idempotency", sealedIdempotency),
        ("0006_tenant_indexes", tenantIndexes),
        ("0007_payload_expiry", payloadExpiry),
        ("0008_retention", retention),
        // Where a message's delivery attempts find the trace of the request that published it (nullable: instant).
        ("0009_trace_parent", ["ALTER TABLE messages ADD COLUMN trace_parent TEXT COLLATE \"C\""]),
        ("0010_time_partitions", timePartitions),
        // An endpoint's delivery policy (`EndpointPolicy`) as JSON text; NULL is the server's settings.
        ("0011_endpoint_policy", ["ALTER TABLE endpoints ADD COLUMN policy TEXT"]),
        // Parked deliveries (`SQLStore+Parking`): the due index holds unparked rows only.
        (
            "0012_parked_deliveries",
            [
                "ALTER TABLE deliveries ADD COLUMN parked BOOLEAN NOT NULL DEFAULT false",
                "DROP INDEX deliveries_due",
                "CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL AND NOT parked",
                "CREATE INDEX deliveries_parked ON deliveries (endpoint_id, next_attempt_at) WHERE parked",
                "CREATE TABLE parked_endpoints (endpoint_id TEXT COLLATE \"C\" PRIMARY KEY, parked_at BIGINT NOT NULL)",
            ]
        ),
        // Delivery gates (`SQLStore+Gates`): throttle state, slow-downs and circuit breakers per endpoint or application id.
        (
            "0013_delivery_gates",
            [
                """
                CREATE TABLE delivery_gates (key TEXT COLLATE "C" PRIMARY KEY, tat_us BIGINT NOT NULL DEFAULT 0,
                    open_at BIGINT NOT NULL DEFAULT 0, backoff_ms BIGINT NOT NULL DEFAULT 0, breaker BIGINT NOT NULL DEFAULT 0)
                """,
                "CREATE INDEX delivery_gates_open ON delivery_gates (open_at)",
                // Ordered endpoints (`SQLStore+Ordering`).
                "ALTER TABLE endpoints ADD COLUMN fifo BOOLEAN NOT NULL DEFAULT false",
                "CREATE INDEX endpoints_fifo ON endpoints (id) WHERE fifo",
                "CREATE TABLE fifo_heads (endpoint_id TEXT COLLATE \"C\" PRIMARY KEY, delivery_id BIGINT NOT NULL)",
            ]
        ),
        // Inbound sources (`SourceStore`), and what a message received from one keeps of its request.
        (
            "0014_inbound_sources",
            [
                """
                CREATE TABLE sources (id TEXT COLLATE "C" PRIMARY KEY, app_id TEXT COLLATE "C" NOT NULL, uid TEXT COLLATE "C",
                    name TEXT NOT NULL, token_hash TEXT COLLATE "C" NOT NULL UNIQUE, token TEXT NOT NULL, verification TEXT NOT NULL,
                    mapping TEXT NOT NULL, rate_limit BIGINT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT false, metadata TEXT NOT NULL,
                    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, received BIGINT NOT NULL DEFAULT 0,
                    accepted BIGINT NOT NULL DEFAULT 0, duplicates BIGINT NOT NULL DEFAULT 0, rejected BIGINT NOT NULL DEFAULT 0,
                    last_rejection TEXT, last_rejected_at BIGINT, recent_rejections TEXT)
                """,
                "CREATE UNIQUE INDEX sources_uid ON sources (app_id, uid) WHERE uid IS NOT NULL",
                "CREATE INDEX sources_app ON sources (app_id, id)",
                "ALTER TABLE messages ADD COLUMN inbound TEXT",
                "ALTER TABLE applications ADD COLUMN allowed_subnets TEXT",
                "ALTER TABLE endpoints ADD COLUMN org_approved BOOLEAN NOT NULL DEFAULT false",
            ]
        ),
        ("0015_lease_until", leaseUntil),
        ("0016_attempts_unchecked_endpoint", attemptsUncheckedEndpoint),
        ("0017_one_destination_index", oneDestinationIndex),
    ]

    /// An arbitrary constant: the advisory lock that serialises instances migrating at the same moment.
    static let lockKey: Int64 = 0x4865_7261_6C64

    /// Applies pending migrations in one transaction, under an advisory lock so that instances starting together
    /// take turns; the second finds nothing left to do.
    static func migrate(client: PostgresClient, sealer: SecretSealer, logger: Logger) async throws -> [String] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.run(
                "CREATE TABLE IF NOT EXISTS herald_migrations (identifier TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                logger: logger
            )
            let applied = Set(
                try await connection.rows("SELECT identifier FROM herald_migrations", logger: logger).map {
                    try $0.value("identifier", as: String.self)
                }
            )
            try SchemaCompatibility.check(applied: applied, known: all.map(\.identifier))
            var newlyApplied: [String] = []
            for migration in all where !applied.contains(migration.identifier) {
                for statement in migration.statements {
                    if statement == historyPartitions {
                        try await createHistoryPartitions(connection, logger: logger)
                        continue
                    }
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                if migration.identifier == resealing { try await resealUnboundSecrets(connection, sealer: sealer, logger: logger) }
                try await connection.run(
                    "INSERT INTO herald_migrations (identifier, applied_at) VALUES (\(migration.identifier), \(Timestamp.now().milliseconds))",
                    logger: logger
                )
                newlyApplied.append(migration.identifier)
            }
            return newlyApplied
        }
    }

    static let core = [
        """
        CREATE TABLE applications (
            id TEXT COLLATE "C" PRIMARY KEY,
            org_id TEXT COLLATE "C" NOT NULL,
            uid TEXT COLLATE "C",
            name TEXT NOT NULL,
            throttle_rate BIGINT,
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            deleted_at BIGINT
        )
        """,
        "CREATE UNIQUE INDEX applications_org_uid ON applications (org_id, uid) WHERE uid IS NOT NULL AND deleted_at IS NULL",
        "CREATE INDEX applications_org_live ON applications (org_id, id) WHERE deleted_at IS NULL",
        """
        CREATE TABLE event_types (
            org_id TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            description TEXT NOT NULL,
            archived BOOLEAN NOT NULL DEFAULT FALSE,
            deprecated BOOLEAN NOT NULL DEFAULT FALSE,
            feature_flag TEXT,
            schemas TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (org_id, name)
        )
        """,
        """
        CREATE TABLE endpoints (
            id TEXT COLLATE "C" PRIMARY KEY,
            app_id TEXT COLLATE "C" NOT NULL REFERENCES applications (id),
            uid TEXT COLLATE "C",
            url TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            disabled BOOLEAN NOT NULL DEFAULT FALSE,
            event_types TEXT,
            channels TEXT,
            throttle_rate BIGINT,
            metadata TEXT NOT NULL DEFAULT '{}',
            headers TEXT NOT NULL DEFAULT '{}',
            secret TEXT NOT NULL,
            previous_secrets TEXT NOT NULL DEFAULT '[]',
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            deleted_at BIGINT
        )
        """,
        "CREATE UNIQUE INDEX endpoints_app_uid ON endpoints (app_id, uid) WHERE uid IS NOT NULL AND deleted_at IS NULL",
        "CREATE INDEX endpoints_app_live ON endpoints (app_id, id) WHERE deleted_at IS NULL",
        """
        CREATE TABLE messages (
            id TEXT COLLATE "C" PRIMARY KEY,
            app_id TEXT COLLATE "C" NOT NULL REFERENCES applications (id),
            event_type TEXT COLLATE "C" NOT NULL,
            event_id TEXT COLLATE "C",
            channels TEXT,
            payload BYTEA,
            payload_expires_at BIGINT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX messages_app_event_id ON messages (app_id, event_id) WHERE event_id IS NOT NULL",
        "CREATE INDEX messages_app ON messages (app_id, id)",
        """
        CREATE TABLE idempotency_keys (
            key TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('started', 'completed')),
            lock_until BIGINT,
            response BYTEA,
            expires_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)",
    ]

    static let delivery = [
        """
        CREATE TABLE deliveries (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            msg_id TEXT COLLATE "C" NOT NULL REFERENCES messages (id),
            app_id TEXT COLLATE "C" NOT NULL,
            endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES endpoints (id),
            trigger_type INTEGER NOT NULL CHECK (trigger_type IN (0, 1)),
            status INTEGER NOT NULL CHECK (status IN (0, 1, 2, 3)),
            attempt_count INTEGER NOT NULL DEFAULT 0,
            next_attempt_at BIGINT,
            lease_owner TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX deliveries_destination ON deliveries (msg_id, endpoint_id) WHERE trigger_type = 0",
        "CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL",
        "CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, msg_id)",
        "CREATE INDEX deliveries_lease_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL",
        """
        CREATE TABLE attempts (
            id TEXT COLLATE "C" PRIMARY KEY,
            msg_id TEXT COLLATE "C" NOT NULL REFERENCES messages (id),
            endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES endpoints (id),
            app_id TEXT COLLATE "C" NOT NULL,
            url TEXT NOT NULL,
            response TEXT,
            response_status_code INTEGER NOT NULL,
            response_duration_ms BIGINT NOT NULL,
            status INTEGER NOT NULL CHECK (status IN (0, 2)),
            trigger_type INTEGER NOT NULL CHECK (trigger_type IN (0, 1)),
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX attempts_msg ON attempts (msg_id, id)",
        "CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id)",
        "CREATE INDEX attempts_app ON attempts (app_id, id)",
        """
        CREATE TABLE endpoint_failures (
            endpoint_id TEXT COLLATE "C" PRIMARY KEY REFERENCES endpoints (id),
            first_failure_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        )
        """,
    ]

    static let revokedTokens = [
        "CREATE TABLE revoked_tokens (token_hash TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)"
    ]

    /// Polling endpoints' feeds and their consumers' positions. An entry's place is its transaction id, then its
    /// sequence number: readers take only entries of transactions older than every transaction still running, so an
    /// entry committed late with an early sequence number can never fall behind a position already read.
    static let poller = [
        """
        CREATE TABLE poller_feed (
            xid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES endpoints (id),
            msg_id TEXT COLLATE "C" NOT NULL REFERENCES messages (id),
            created_at BIGINT NOT NULL,
            PRIMARY KEY (endpoint_id, xid, seq)
        )
        """,
        """
        CREATE TABLE poller_consumers (
            endpoint_id TEXT COLLATE "C" NOT NULL,
            consumer_id TEXT COLLATE "C" NOT NULL,
            position_transaction BIGINT NOT NULL,
            position_sequence BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (endpoint_id, consumer_id)
        )
        """,
    ]

    /// Responses kept for idempotency are sealed from now on, and remember the message they created (so expunging its
    /// content forgets them). Those kept in clear by earlier versions are dropped: a retry of one runs again.
    static let sealedIdempotency = [
        "DELETE FROM idempotency_keys",
        "ALTER TABLE idempotency_keys ADD COLUMN resource_id TEXT COLLATE \"C\"",
        "CREATE INDEX idempotency_keys_resource ON idempotency_keys (resource_id) WHERE resource_id IS NOT NULL",
    ]

    /// Lets the live views count a tenant's open deliveries without walking other tenants' rows (`attempts_app` exists
    /// already). Keyed on what changes once per delivery (its status), not on what every claim moves.
    static let tenantIndexes = [
        "CREATE INDEX deliveries_app_open ON deliveries (app_id) WHERE status IN (1, 3)"
    ]

    /// A claim writes only columns no index holds (`Lease`), so PostgreSQL keeps the new row version on its
    /// page without touching an index (a HOT update) — if the page has room for it: a claim takes whole runs of rows
    /// written together, so pages are filled to 40 % (rows written from now on). The lease-owner index goes: releasing
    /// an instance's leases finds them on the due index instead. Leases taken before keep meaning what they meant.
    static let leaseUntil = [
        "ALTER TABLE deliveries ADD COLUMN lease_until BIGINT",
        "UPDATE deliveries SET lease_until = next_attempt_at WHERE lease_owner IS NOT NULL",
        "DROP INDEX deliveries_lease_owner",
        "ALTER TABLE deliveries SET (fillfactor = 40)",
    ]

    /// An attempt's endpoint is its delivery's, which the deliveries' reference checks, and endpoints are never deleted
    /// (only marked): checking the attempt's reference again cost every logged attempt a lookup and a share lock on
    /// its endpoint's row (SQLite, which does not enforce references, never paid it).
    static let attemptsUncheckedEndpoint = [
        "ALTER TABLE attempts DROP CONSTRAINT IF EXISTS attempts_endpoint_id_fkey"
    ]

    /// One index where two were: a delivery's first attempt is unique per destination (its key ends in 0), a resend is
    /// not (its key ends in its own id), and every key starts with the message, so the index also finds a message's
    /// deliveries for retention and the message routes. A first attempt's insert and each update that moves it (a
    /// result, a retry) wrote an entry in both. Built at start, in the migration's transaction, with `deliveries`
    /// locked: its time grows with the rows kept (README, Upgrading).
    static let oneDestinationIndex = [
        "DROP INDEX deliveries_destination",
        "DROP INDEX deliveries_msg",
        """
        CREATE UNIQUE INDEX deliveries_destination ON deliveries
            (msg_id, endpoint_id, (CASE WHEN trigger_type = 0 THEN 0 ELSE id END))
        """,
    ]

    /// Finds the payloads whose retention ended without walking the others (only payloads still kept are in it).
    static let payloadExpiry = [
        "CREATE INDEX messages_payload_expiry ON messages (payload_expires_at) WHERE payload IS NOT NULL"
    ]

    /// Retention deletes a batch of messages with their deliveries and feed entries: these find them by message.
    static let retention = [
        "CREATE INDEX deliveries_msg ON deliveries (msg_id)",
        "CREATE INDEX poller_feed_msg ON poller_feed (msg_id)",
    ]

    /// Messages become partitioned by id, attempts by their message's id (ids sort by time: see `PostgresPartitions`),
    /// so retention drops a partition rather than deleting its rows. Rows stored until now are copied into the
    /// default partition, which retention prunes row by row. A partitioned table can be unique only on keys holding
    /// the partition key, so event ids are kept unique in a table of their own; and references to messages go, since
    /// a partition with references cannot be dropped — Herald deletes a message's deliveries and feed entries itself,
    /// before the message, and a claim finding a delivery without its message skips it.
    static let timePartitions = [
        "ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_msg_id_fkey",
        "ALTER TABLE poller_feed DROP CONSTRAINT IF EXISTS poller_feed_msg_id_fkey",
        """
        CREATE TABLE message_event_ids (
            app_id TEXT COLLATE "C" NOT NULL,
            event_id TEXT COLLATE "C" NOT NULL,
            msg_id TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (app_id, event_id)
        )
        """,
        "INSERT INTO message_event_ids (app_id, event_id, msg_id) SELECT app_id, event_id, id FROM messages WHERE event_id IS NOT NULL",
        "CREATE INDEX message_event_ids_msg ON message_event_ids (msg_id)",
        """
        CREATE TABLE messages_partitioned (
            id TEXT COLLATE "C" NOT NULL,
            app_id TEXT COLLATE "C" NOT NULL CONSTRAINT messages_app_id_fkey REFERENCES applications (id),
            event_type TEXT COLLATE "C" NOT NULL,
            event_id TEXT COLLATE "C",
            channels TEXT,
            payload BYTEA,
            payload_expires_at BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            trace_parent TEXT COLLATE "C"
        ) PARTITION BY RANGE (id)
        """,
        "CREATE TABLE messages_default PARTITION OF messages_partitioned DEFAULT",
        """
        CREATE TABLE attempts_partitioned (
            id TEXT COLLATE "C" NOT NULL,
            msg_id TEXT COLLATE "C" NOT NULL,
            endpoint_id TEXT COLLATE "C" NOT NULL CONSTRAINT attempts_endpoint_id_fkey REFERENCES endpoints (id),
            app_id TEXT COLLATE "C" NOT NULL,
            url TEXT NOT NULL,
            response TEXT,
            response_status_code INTEGER NOT NULL,
            response_duration_ms BIGINT NOT NULL,
            status INTEGER NOT NULL CHECK (status IN (0, 2)),
            trigger_type INTEGER NOT NULL CHECK (trigger_type IN (0, 1)),
            created_at BIGINT NOT NULL
        ) PARTITION BY RANGE (msg_id)
        """,
        "CREATE TABLE attempts_default PARTITION OF attempts_partitioned DEFAULT",
        historyPartitions,
        """
        INSERT INTO messages_partitioned (id, app_id, event_type, event_id, channels, payload, payload_expires_at, created_at, trace_parent)
        SELECT id, app_id, event_type, event_id, channels, payload, payload_expires_at, created_at, trace_parent FROM messages
        """,
        """
        INSERT INTO attempts_partitioned (id, msg_id, endpoint_id, app_id, url, response, response_status_code,
            response_duration_ms, status, trigger_type, created_at)
        SELECT id, msg_id, endpoint_id, app_id, url, response, response_status_code, response_duration_ms, status,
            trigger_type, created_at
        FROM attempts
        """,
        "DROP TABLE attempts",
        "DROP TABLE messages",
        "ALTER TABLE messages_partitioned RENAME TO messages",
        "ALTER TABLE attempts_partitioned RENAME TO attempts",
        "ALTER TABLE messages ADD PRIMARY KEY (id)",
        "CREATE INDEX messages_app ON messages (app_id, id)",
        "CREATE INDEX messages_app_event_id ON messages (app_id, event_id) WHERE event_id IS NOT NULL",
        "CREATE INDEX messages_payload_expiry ON messages (payload_expires_at) WHERE payload IS NOT NULL",
        "ALTER TABLE attempts ADD PRIMARY KEY (msg_id, id)",
        "CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id)",
        "CREATE INDEX attempts_app ON attempts (app_id, id)",
        // Autovacuum analyses partitions, never their parents: the planner's estimates for the parents start here.
        "ANALYZE messages, attempts",
    ]

    /// Stands, in `timePartitions`, for the history partitions (`createHistoryPartitions`), whose bound is the time of
    /// the upgrade.
    static let historyPartitions = "-- history partitions"

    /// Partitions of messages and attempts from MINVALUE to the next minute, which the rows stored until the upgrade
    /// go into: not the default partition, which every partition attached later would have to scan.
    static func createHistoryPartitions(_ connection: PostgresConnection, logger: Logger) async throws {
        guard let history = TimePartition.history(now: .now()) else { return }
        for (parent, table) in [("messages_partitioned", history.messagesTable), ("attempts_partitioned", history.attemptsTable)] {
            try await connection.run(
                PostgresQuery(unsafeSQL: "CREATE TABLE \(table) PARTITION OF \(parent) FOR VALUES \(history.bounds)"),
                logger: logger
            )
        }
    }

    /// The migration after whose statements endpoint secrets sealed by 0.1 are sealed again bound to their row.
    static let resealing = "0005_sealed_idempotency"

    /// Endpoint secrets sealed unbound by Herald before 0.2, sealed again bound to their row (see `SealedColumns`), in
    /// the migration's transaction: once, and before any instance reads them.
    static func resealUnboundSecrets(_ connection: PostgresConnection, sealer: SecretSealer, logger: Logger) async throws {
        let rows = try await connection.rows(
            """
            SELECT id, app_id, secret, previous_secrets, headers FROM endpoints
            WHERE secret LIKE 'sealed1:%' OR previous_secrets LIKE 'sealed1:%' OR headers LIKE 'sealed1:%'
            """,
            logger: logger
        )
        for row in rows {
            let id: String = try row.value("id")
            let columns: [String] = [try row.value("secret"), try row.value("previous_secrets"), try row.value("headers")]
            guard let bound = try SealedColumns.resealedBound(columns, appID: try row.value("app_id"), endpointID: id, sealer: sealer)
            else { continue }
            try await connection.run(
                "UPDATE endpoints SET secret = \(bound[0]), previous_secrets = \(bound[1]), headers = \(bound[2]) WHERE id = \(id)",
                logger: logger
            )
        }
    }
}
