/// Indexes that let every per-tenant read (live views, stats) walk only that tenant's rows.
let migration0006TenantIndexes = """
    CREATE INDEX attempts_app ON attempts (app_id, id);
    CREATE INDEX deliveries_app_due ON deliveries (app_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;
    """
