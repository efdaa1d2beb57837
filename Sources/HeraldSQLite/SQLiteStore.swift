import Foundation
import GRDB
import HeraldCore

/// The embedded backend: one SQLite file in WAL mode, one writer, every commit fsynced (`synchronous=FULL`), so a
/// write that returned is on disk.
public final class SQLiteStore: HeraldStore {
    let pool: DatabasePool
    /// The database file's path.
    public let path: String
    /// Signalled after a commit that made deliveries due.
    public let newWork = WorkSignal()
    /// Seals endpoint secrets and headers at rest.
    let sealer: SecretSealer
    /// Group commit of message writes.
    let batcher: MessageBatcher

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String, sealer: SecretSealer) throws {
        self.sealer = sealer
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets `synchronous = NORMAL` when it enables WAL on the writer; a 202 must mean "on disk", so every
        // commit waits for its fsync. The pool has one writer connection, so setting it once holds.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try SQLiteMigrations.migrator().migrate(pool)
        self.batcher = MessageBatcher(pool: pool) { message, onlyTo, db in try SQLiteStore.insert(message, onlyTo: onlyTo, db: db) }
    }

    public func checkHealth() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// The value of a PRAGMA, for checks of the durability settings.
    public func pragma(_ name: String) throws -> String? {
        try pool.write { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    /// The applied migration identifiers, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try SQLiteMigrations.migrator().appliedMigrations(db) }
    }
}

extension SQLiteStore {
    /// Runs a write, turning a uniqueness violation into the 409 the API shows.
    func write<T: Sendable>(conflict: HeraldError, _ updates: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(updates)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw conflict
        }
    }
}

/// The paging clause shared by every listing: continue after the iterator, read one row more than the page.
struct PagingClause {
    let sql: String
    let arguments: StatementArguments

    init(column: String, page: PageRequest) {
        let ascending = page.scanOrder == .ascending
        var sql = ""
        var arguments: StatementArguments = []
        if let iterator = page.iterator {
            sql += " AND \(column) \(ascending ? ">" : "<") ?"
            arguments += [iterator]
        }
        sql += " ORDER BY \(column) \(ascending ? "ASC" : "DESC") LIMIT ?"
        arguments += [page.fetchLimit]
        self.sql = sql
        self.arguments = arguments
    }
}

/// JSON columns (metadata, filters, headers, old secrets).
enum JSONColumn {
    static func encode<T: Encodable>(_ value: T) -> String {
        // Encoding these plain value types cannot fail.
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    static func encode<T: Encodable>(_ value: T?) -> String? {
        value.map { encode($0) }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T? {
        guard let text else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
