/// Responses kept for idempotency are sealed from now on, and remember the message they created (so expunging its
/// content forgets them). Those kept in clear by earlier versions are dropped: a retry of one runs again.
let migration0005SealedIdempotency = """
    DELETE FROM idempotency_keys;
    ALTER TABLE idempotency_keys ADD COLUMN resource_id TEXT;
    CREATE INDEX idempotency_keys_resource ON idempotency_keys (resource_id) WHERE resource_id IS NOT NULL;
    """
