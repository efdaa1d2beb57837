/// Retention deletes a batch of messages with their deliveries and feed entries: these find them by message (the
/// unique index on deliveries covers only scheduled ones, and the feed was indexed by endpoint only).
let migration0008Retention = """
    CREATE INDEX deliveries_msg ON deliveries (msg_id);
    CREATE INDEX poller_feed_msg ON poller_feed (msg_id);
    """
