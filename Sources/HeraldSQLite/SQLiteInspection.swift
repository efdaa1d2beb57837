import Foundation
import GRDB
import HeraldCore

/// Reads an SQLite database for `herald doctor` without changing it or taking its lock (a server may be running). A
/// read-only open of a WAL database whose server is stopped lets SQLite make its -wal and -shm files again (owned like
/// the database); nothing else is written.
public enum SQLiteInspection {
    /// The facts of the database at `path`; nil when there is no file yet (the first start creates it).
    public static func inspect(path: String) throws -> DatabaseFacts? {
        var status = stat()
        if lstat(path, &status) != 0, errno == ENOENT { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return try queue.read { db in
            let migrated = try db.tableExists("grdb_migrations")
            let applied = migrated ? Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")) : []
            // A schema this build does not know may not have these columns; the schema finding says why.
            let urls =
                (try? String.fetchAll(
                    db,
                    sql: "SELECT url FROM endpoints WHERE deleted_at IS NULL AND disabled = 0 LIMIT ?",
                    arguments: [DatabaseFacts.endpointLimit]
                )) ?? []
            return DatabaseFacts(
                appliedMigrations: applied,
                knownMigrations: SQLiteMigrations.all.map(\.identifier),
                endpointURLs: urls,
                serverTime: nil
            )
        }
    }
}
