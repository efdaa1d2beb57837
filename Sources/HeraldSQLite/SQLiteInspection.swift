import GRDB
import HeraldCore

/// Reads an SQLite database for `herald doctor` without writing to it or taking its lock (a server may be running).
public enum SQLiteInspection {
    /// The facts of the database at `path`; nil when there is no file yet (the first start creates it).
    public static func inspect(path: String) throws -> DatabaseFacts? {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN {
            return nil
        }
        return try queue.read { db in
            let migrated = try db.tableExists("grdb_migrations")
            let applied = migrated ? Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")) : []
            let urls =
                try db.tableExists("endpoints")
                ? try String.fetchAll(
                    db,
                    sql: "SELECT url FROM endpoints WHERE deleted_at IS NULL AND disabled = 0 LIMIT ?",
                    arguments: [DatabaseFacts.endpointLimit]
                ) : []
            return DatabaseFacts(
                appliedMigrations: applied,
                knownMigrations: SQLiteMigrations.all.map(\.identifier),
                endpointURLs: urls,
                serverTime: nil
            )
        }
    }
}
