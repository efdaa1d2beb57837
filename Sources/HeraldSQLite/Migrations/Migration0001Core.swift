/// Applications, event types, endpoints, messages and idempotency keys.
let migration0001Core = """
    CREATE TABLE applications (
        id TEXT PRIMARY KEY NOT NULL,
        org_id TEXT NOT NULL,
        uid TEXT,
        name TEXT NOT NULL,
        throttle_rate INTEGER,
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
    ) STRICT;
    CREATE UNIQUE INDEX applications_org_uid ON applications (org_id, uid) WHERE uid IS NOT NULL AND deleted_at IS NULL;
    CREATE INDEX applications_org_live ON applications (org_id, id) WHERE deleted_at IS NULL;

    CREATE TABLE event_types (
        org_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
        deprecated INTEGER NOT NULL DEFAULT 0 CHECK (deprecated IN (0, 1)),
        feature_flag TEXT,
        schemas TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (org_id, name)
    ) STRICT;

    CREATE TABLE endpoints (
        id TEXT PRIMARY KEY NOT NULL,
        app_id TEXT NOT NULL REFERENCES applications (id),
        uid TEXT,
        url TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        event_types TEXT,
        channels TEXT,
        throttle_rate INTEGER,
        metadata TEXT NOT NULL DEFAULT '{}',
        headers TEXT NOT NULL DEFAULT '{}',
        secret TEXT NOT NULL,
        previous_secrets TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
    ) STRICT;
    CREATE UNIQUE INDEX endpoints_app_uid ON endpoints (app_id, uid) WHERE uid IS NOT NULL AND deleted_at IS NULL;
    CREATE INDEX endpoints_app_live ON endpoints (app_id, id) WHERE deleted_at IS NULL;

    CREATE TABLE messages (
        id TEXT PRIMARY KEY NOT NULL,
        app_id TEXT NOT NULL REFERENCES applications (id),
        event_type TEXT NOT NULL,
        event_id TEXT,
        channels TEXT,
        payload BLOB,
        payload_expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX messages_app_event_id ON messages (app_id, event_id) WHERE event_id IS NOT NULL;
    CREATE INDEX messages_app ON messages (app_id, id);

    CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('started', 'completed')),
        lock_until INTEGER,
        response BLOB,
        expires_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
    """
