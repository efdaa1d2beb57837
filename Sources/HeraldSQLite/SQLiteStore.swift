import Foundation
import GRDB
import HeraldCore
import Logging

/// The embedded backend: one SQLite file in WAL mode, one writer, every commit fsynced (`synchronous=FULL`), so a
/// write that returned is on disk.
public final class SQLiteStore: HeraldStore {
    let pool: DatabasePool
    /// The database file's path.
    public let path: String
    /// Signalled after a commit that made deliveries due.
    public let newWork = WorkSignal()
    /// Signalled after a commit that appended to a polling endpoint's feed.
    public let feedChanged = WorkSignal(remembering: false)
    /// Seals endpoint secrets and headers at rest.
    public let sealer: SecretSealer
    /// Group commit of accepted messages (durable) and of delivery results (relaxed: a lost result means a resend).
    let messages: WriteBatcher<MessageWrite, FanOut>
    let results: WriteBatcher<DeliveryCompletion, DeliveryEffects>
    let logger: Logger
    /// Where database timings go.
    let metrics: HeraldMetrics

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(
        path: String,
        sealer: SecretSealer,
        metrics: HeraldMetrics = .off,
        logger: Logger = Logger(label: "herald.sqlite")
    ) throws {
        self.sealer = sealer
        self.metrics = metrics
        self.logger = logger
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets `synchronous = NORMAL` when it enables WAL on the writer; a 202 must mean "on disk", so every
        // commit waits for its fsync. The pool has one writer connection, so setting it once holds.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let migrator = SQLiteMigrations.migrator(sealer: sealer)
        try pool.read { db in
            try SchemaCompatibility.check(applied: try migrator.appliedIdentifiers(db), known: SQLiteMigrations.all.map(\.identifier))
        }
        try migrator.migrate(pool)
        self.messages = WriteBatcher(pool: pool, durable: true) { write, db in
            let queued = try SQLiteStore.insert(write.message, onlyTo: write.onlyTo, db: db)
            if let answer = write.answer { try SQLiteStore.keep(answer, for: write.message, db: db) }
            return queued
        }
        self.results = WriteBatcher(pool: pool, durable: false) { completion, db in
            try SQLiteStore.record(completion, db: db)
        }
    }

    /// The value of a PRAGMA, for checks of the durability settings.
    public func pragma(_ name: String) throws -> String? {
        try pool.write { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    /// The applied migration identifiers, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try SQLiteMigrations.migrator(sealer: sealer).appliedMigrations(db) }
    }
}

extension SQLiteStore {
    /// Runs a write committed with `synchronous = NORMAL`: it survives a crash of the process, not a power cut. Only
    /// for queue bookkeeping whose loss is repaired by sending again (claims, deferrals).
    func relaxedWrite<T: Sendable>(_ updates: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            var value: T?
            try db.inTransaction {
                value = try updates(db)
                return .commit
            }
            return value!
        }
    }

    /// Runs a write, turning a uniqueness violation into the 409 the API shows.
    func write<T: Sendable>(conflict: StorageError, _ updates: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(updates)
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw conflict
        }
    }
}

/// A message to store, with where it goes.
struct MessageWrite: Sendable {
    var message: Message
    var onlyTo: String?
    /// The message's idempotent answer, sealed (`IdempotentAnswer`), kept in the same transaction.
    var answer: [UInt8]?
}

/// What storing a message queued: deliveries to send and entries appended to polling endpoints' feeds.
struct FanOut: Sendable {
    var deliveries: Int
    var feedEntries: Int
}

/// A delivery result to record.
struct DeliveryCompletion: Sendable {
    var task: DeliveryTask
    var result: DeliveryResult
    var owner: String
    var now: Timestamp
    var disableAfterSeconds: Int64
}

extension Database {
    /// Runs a statement whose SQL text is fixed, prepared once per connection rather than parsed on every call: the
    /// write paths of messages and deliveries run these thousands of times a second.
    func executeCached(sql: String, arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}

extension SQLiteStore {
    /// Endpoint secrets sealed unbound by Herald before 0.2, sealed again bound to their row (see `SealedColumns`); run
    /// once, by the migration that upgrades from 0.1.
    static func resealUnboundSecrets(_ db: Database, sealer: SecretSealer) throws {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT id, app_id, secret, previous_secrets, headers FROM endpoints
                WHERE secret LIKE 'sealed1:%' OR previous_secrets LIKE 'sealed1:%' OR headers LIKE 'sealed1:%'
                """
        )
        for row in rows {
            let columns: [String] = [row["secret"], row["previous_secrets"], row["headers"]]
            guard let bound = try SealedColumns.resealedBound(columns, appID: row["app_id"], endpointID: row["id"], sealer: sealer) else { continue }
            try db.execute(
                sql: "UPDATE endpoints SET secret = ?, previous_secrets = ?, headers = ? WHERE id = ?",
                arguments: [bound[0], bound[1], bound[2], row["id"]]
            )
        }
    }
}
