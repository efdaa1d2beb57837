import Foundation
import HeraldCore
import HeraldPostgres
import HeraldSQLite
import Logging

/// A storage backend the contract tests run against: SQLite always, PostgreSQL when `HERALD_TEST_POSTGRES_URL` is set.
public struct StoreBackend: Sendable, CustomStringConvertible {
    public let description: String
    private let open: @Sendable () async throws -> (any HeraldStore, AnyObject)

    /// A fresh, empty store; keep the returned lifetime alive while using it (it owns the file or the connections).
    public func makeStore() async throws -> (store: any HeraldStore, lifetime: AnyObject) {
        try await open()
    }

    public static let sqlite = StoreBackend(description: "SQLite") {
        let directory = try TemporaryDirectory()
        return (try SQLiteStore(path: directory.file("herald.db"), sealer: .forTests), directory)
    }

    /// A fresh database on the server of `url` for every store.
    public static func postgres(url: String) -> StoreBackend {
        StoreBackend(description: "PostgreSQL") {
            let server = try PostgresLocation(parsing: url)
            let store = try await RunningPostgresStore.start(server: server)
            return (store.store, store)
        }
    }

    /// The PostgreSQL server named by `HERALD_TEST_POSTGRES_URL`, if set.
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["HERALD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Every backend available in this environment.
    public static var all: [StoreBackend] {
        [.sqlite] + (postgresURL.map { [.postgres(url: $0)] } ?? [])
    }
}

/// A PostgreSQL store on a database of its own, running until this object is released.
public final class RunningPostgresStore: Sendable {
    public let store: PostgresStore
    public let location: PostgresLocation
    /// The main key; another instance on the same database needs the same one.
    public let sealer: SecretSealer
    private let task: Task<Void, Never>

    private init(store: PostgresStore, location: PostgresLocation, sealer: SecretSealer, task: Task<Void, Never>) {
        self.store = store
        self.location = location
        self.sealer = sealer
        self.task = task
    }

    deinit {
        task.cancel()
    }

    /// Creates a fresh database on `server` and a running store on it.
    public static func start(server: PostgresLocation) async throws -> RunningPostgresStore {
        var location = server
        location.database = "herald_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresDatabaseAdmin.createDatabase(location.database, server: server, logger: logger)
        return try await start(existing: location, sealer: .forTests)
    }

    private static var logger: Logger {
        var logger = Logger(label: "herald.test.postgres")
        logger.logLevel = .error
        return logger
    }

    /// Another running store on the database at `location` (another instance, as far as the database can tell).
    public static func start(existing location: PostgresLocation, sealer: SecretSealer) async throws -> RunningPostgresStore {
        let store = PostgresStore(location: location, sealer: sealer, logger: logger)
        let (started, continuation) = AsyncThrowingStream<Void, any Error>.makeStream()
        // Unstructured on purpose: tests hold the store as a value rather than inside a closure, so its client runs
        // in a task that this object cancels when the test releases it.
        let task = Task {
            do {
                try await store.withRunningClient {
                    continuation.yield()
                    try await Task.sleep(for: .seconds(24 * 3600))
                }
            } catch {
                continuation.finish(throwing: error)
            }
        }
        for try await _ in started { break }
        return RunningPostgresStore(store: store, location: location, sealer: sealer, task: task)
    }
}
