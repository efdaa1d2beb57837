/// Finds the payloads whose retention ended without walking the others: only payloads still kept are in it, so it
/// shrinks as they expire.
let migration0007PayloadExpiry = """
    CREATE INDEX messages_payload_expiry ON messages (payload_expires_at) WHERE payload IS NOT NULL;
    """
