/// Inbound sources (`SourceStore`): each found by the hash of its ingest token; the token and the verification secret
/// are sealed. A message received from one keeps its request's content type and headers in `inbound`. An application
/// may be granted private networks for its endpoints (`allowed_subnets`), which reach them when last written with an
/// org token (`org_approved`).
let migration0014InboundSources = """
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL,
        uid TEXT,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        token TEXT NOT NULL,
        verification TEXT NOT NULL,
        mapping TEXT NOT NULL,
        rate_limit INTEGER NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        metadata TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        received INTEGER NOT NULL DEFAULT 0,
        accepted INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        last_rejection TEXT,
        last_rejected_at INTEGER,
        recent_rejections TEXT
    );
    CREATE UNIQUE INDEX sources_uid ON sources (app_id, uid) WHERE uid IS NOT NULL;
    CREATE INDEX sources_app ON sources (app_id, id);
    ALTER TABLE messages ADD COLUMN inbound TEXT;
    ALTER TABLE applications ADD COLUMN allowed_subnets TEXT;
    ALTER TABLE endpoints ADD COLUMN org_approved INTEGER NOT NULL DEFAULT 0;
    """
