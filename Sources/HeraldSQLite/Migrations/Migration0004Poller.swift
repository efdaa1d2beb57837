/// Polling endpoints' feeds, in commit order (`AUTOINCREMENT`: a sequence number is never reused, and the single
/// writer commits in sequence order), and their consumers' positions.
let migration0004Poller = """
    CREATE TABLE poller_feed (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        endpoint_id TEXT NOT NULL REFERENCES endpoints (id),
        msg_id TEXT NOT NULL REFERENCES messages (id),
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX poller_feed_endpoint ON poller_feed (endpoint_id, seq);

    CREATE TABLE poller_consumers (
        endpoint_id TEXT NOT NULL,
        consumer_id TEXT NOT NULL,
        position_transaction INTEGER NOT NULL,
        position_sequence INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (endpoint_id, consumer_id)
    ) STRICT;
    """
