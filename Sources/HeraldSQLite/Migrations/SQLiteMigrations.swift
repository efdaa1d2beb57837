import GRDB
import HeraldCore

/// Herald's SQLite schema: numbered, append-only migrations of plain SQL, each applied in one transaction.
/// The PostgreSQL backend keeps the same numbering.
enum SQLiteMigrations {
    static let all: [(identifier: String, sql: String)] = [
        ("0001_core", migration0001Core),
        ("0002_delivery", migration0002Delivery),
        ("0003_revoked_tokens", migration0003RevokedTokens),
        ("0004_poller", migration0004Poller),
        ("0005_sealed_idempotency", migration0005SealedIdempotency),
        ("0006_tenant_indexes", migration0006TenantIndexes),
        ("0007_payload_expiry", migration0007PayloadExpiry),
        ("0008_retention", migration0008Retention),
        ("0009_trace_parent", migration0009TraceParent),
        // 0010 partitions PostgreSQL's tables by time; SQLite has nothing to do.
        ("0011_endpoint_policy", migration0011EndpointPolicy),
        ("0012_parked_deliveries", migration0012ParkedDeliveries),
        ("0013_delivery_gates", migration0013DeliveryGates),
        ("0014_inbound_sources", migration0014InboundSources),
        ("0015_lease_until", migration0015LeaseUntil),
        // 0016 drops a reference check PostgreSQL made on every logged attempt; SQLite enforces no references.
        // 0017 merges two of PostgreSQL's delivery indexes, whose upkeep every non-HOT update paid; SQLite keeps its own.
    ]

    /// The migration after whose SQL endpoint secrets sealed by 0.1 are sealed again bound to their row.
    static let resealing = "0005_sealed_idempotency"

    static func migrator(sealer: SecretSealer) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in all {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
                if migration.identifier == resealing { try SQLiteStore.resealUnboundSecrets(db, sealer: sealer) }
            }
        }
        return migrator
    }
}
