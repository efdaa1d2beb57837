import Foundation
import HeraldAPI
import HeraldCore
import HeraldPostgres
import HeraldSQLite
import HeraldSetup
import Logging
import ServiceLifecycle

/// The database a configuration names, opened, with the keys that go with it: the token signer and the sealer of
/// secrets at rest. An SQLite file is locked for this process (two processes on one file would both deliver).
struct OpenedStore: Sendable {
    let store: any HeraldStore
    /// PostgreSQL's own service (pool, migrations, notifications); SQLite has none.
    let service: PostgresStore?
    /// Signs and verifies tokens (`TokenAuthority` is made from it once running).
    let jwtSecret: [UInt8]
    let keySources: String
    private let lock: SQLiteLock?

    init(configuration: HeraldConfiguration, metrics: HeraldMetrics, logger: Logger) throws {
        var lock: SQLiteLock?
        if case .sqlite(let path) = configuration.database {
            try Self.checkDatabasePath(path)
            lock = try SQLiteLock.acquire(databasePath: path)
            try Self.createOwnerOnly(path)
        }
        let (secret, secretSource) = try configuration.resolveJWTSecret()
        let (sealer, keySource) = try configuration.resolveMainKey()
        switch configuration.database {
        case .sqlite(let path):
            do {
                store = try SQLiteStore(path: path, sealer: sealer, metrics: metrics, logger: Logger(label: "herald.sqlite"))
            } catch {
                throw ConfigurationError("cannot open the SQLite database \(path): \(error)")
            }
            service = nil
        case .postgres(let location):
            let postgres = PostgresStore(
                location: location,
                sealer: sealer,
                partitionWidthSeconds: PartitionWidth.seconds(for: configuration.retention),
                metrics: metrics,
                logger: Logger(label: "herald.postgres")
            )
            store = postgres
            service = postgres
        }
        self.lock = lock
        guard secret.utf8.count >= TokenAuthority.minimumSecretBytes else {
            throw ConfigurationError(
                "the JWT secret must be at least \(TokenAuthority.minimumSecretBytes) bytes; set HERALD_JWT_SECRET to a longer value"
            )
        }
        self.jwtSecret = Array(secret.utf8)
        self.keySources = "JWT secret from \(secretSource), main key from \(keySource)"
    }

    func ready() async throws {
        try await service?.ready()
    }

    /// A new database file is made readable by its owner only before SQLite opens it (it holds payloads and sealed
    /// secrets; SQLite gives its -wal and -shm files the database's mode). An existing file keeps its mode.
    static func createOwnerOnly(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            throw ConfigurationError("cannot create the database \(path): \(SecretFile.describeErrno())")
        }
    }

    /// A database path must name a file Herald can create or open, not a directory.
    static func checkDatabasePath(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigurationError("the database path \(path) is a directory; name a file in it, e.g. --database sqlite:\(path)/herald.db")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw ConfigurationError("the directory of the database path \(path) does not exist")
        }
    }
}
