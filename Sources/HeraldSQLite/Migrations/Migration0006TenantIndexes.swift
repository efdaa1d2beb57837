/// Lets the live views count a tenant's open deliveries without walking other tenants' rows. Keyed on what changes once
/// per delivery (its status), not on what every claim moves (`next_attempt_at`), so the queue pays one index entry per
/// delivery, not one per claim.
let migration0006TenantIndexes = """
    CREATE INDEX deliveries_app_open ON deliveries (app_id) WHERE status IN (1, 3);
    """
