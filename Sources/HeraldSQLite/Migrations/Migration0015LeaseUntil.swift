/// A lease's end gets a column of its own (see `Lease`). Leases taken before keep meaning what they meant:
/// their due time was their end.
let migration0015LeaseUntil = """
    ALTER TABLE deliveries ADD COLUMN lease_until INTEGER;
    UPDATE deliveries SET lease_until = next_attempt_at WHERE lease_owner IS NOT NULL;
    """
