/// The delivery queue (one row per message and endpoint, plus manual resends), the attempt log and the failure
/// tracking behind auto-disable.
let migration0002Delivery = """
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        msg_id TEXT NOT NULL REFERENCES messages (id),
        app_id TEXT NOT NULL,
        endpoint_id TEXT NOT NULL REFERENCES endpoints (id),
        trigger_type INTEGER NOT NULL CHECK (trigger_type IN (0, 1)),
        status INTEGER NOT NULL CHECK (status IN (0, 1, 2, 3)),
        attempt_count INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        lease_owner TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX deliveries_destination ON deliveries (msg_id, endpoint_id) WHERE trigger_type = 0;
    CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
    CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, msg_id);

    CREATE TABLE attempts (
        id TEXT PRIMARY KEY NOT NULL,
        msg_id TEXT NOT NULL REFERENCES messages (id),
        endpoint_id TEXT NOT NULL REFERENCES endpoints (id),
        app_id TEXT NOT NULL,
        url TEXT NOT NULL,
        response TEXT,
        response_status_code INTEGER NOT NULL,
        response_duration_ms INTEGER NOT NULL,
        status INTEGER NOT NULL CHECK (status IN (0, 2)),
        trigger_type INTEGER NOT NULL CHECK (trigger_type IN (0, 1)),
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX attempts_msg ON attempts (msg_id, id);
    CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);

    CREATE TABLE endpoint_failures (
        endpoint_id TEXT PRIMARY KEY NOT NULL REFERENCES endpoints (id),
        first_failure_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) STRICT;
    """
