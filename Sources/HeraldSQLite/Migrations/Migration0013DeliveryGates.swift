/// Delivery gates (`SQLStore+Gates`): throttle state, slow-downs and circuit breakers per endpoint or application id; claims pass over
/// what is closed, found through the index on `open_at`. Ordered endpoints (`SQLStore+Ordering`) are marked, and
/// each has its head listed.
let migration0013DeliveryGates = """
    CREATE TABLE delivery_gates (
        key TEXT PRIMARY KEY,
        tat_us INTEGER NOT NULL DEFAULT 0,
        open_at INTEGER NOT NULL DEFAULT 0,
        backoff_ms INTEGER NOT NULL DEFAULT 0,
        breaker INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX delivery_gates_open ON delivery_gates (open_at);
    ALTER TABLE endpoints ADD COLUMN fifo INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX endpoints_fifo ON endpoints (id) WHERE fifo = 1;
    CREATE TABLE fifo_heads (endpoint_id TEXT PRIMARY KEY, delivery_id INTEGER NOT NULL);
    """
