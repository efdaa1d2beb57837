/// Tokens ended by `POST /auth/logout`, kept until they would have expired anyway.
let migration0003RevokedTokens = """
    CREATE TABLE revoked_tokens (
        token_hash TEXT PRIMARY KEY NOT NULL,
        expires_at INTEGER NOT NULL
    ) STRICT;
    """
