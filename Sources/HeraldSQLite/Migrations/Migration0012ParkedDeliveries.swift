/// Parked deliveries (`SQLStore+Parking`): claims read the due index, which now holds unparked rows only; an
/// endpoint's parked rows have an index in due order, and parked endpoints are listed.
let migration0012ParkedDeliveries = """
    ALTER TABLE deliveries ADD COLUMN parked INTEGER NOT NULL DEFAULT 0;
    DROP INDEX deliveries_due;
    CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL AND parked = 0;
    CREATE INDEX deliveries_parked ON deliveries (endpoint_id, next_attempt_at) WHERE parked = 1;
    CREATE TABLE parked_endpoints (endpoint_id TEXT PRIMARY KEY, parked_at INTEGER NOT NULL);
    """
