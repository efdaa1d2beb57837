import Foundation
import HeraldCore
import HeraldPostgres
import HeraldSQLite
import Logging

/// A storage backend the contract tests run against: SQLite always, PostgreSQL when `HERALD_TEST_POSTGRES_URL` is set.
public struct StoreBackend: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case sqlite
        case postgres(url: String)
    }

    let kind: Kind

    public var description: String {
        switch kind {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }

    /// Runs `body` with a fresh, empty store that lives exactly as long as the call: a file in a directory removed
    /// afterwards, or a database of its own on the PostgreSQL server with the store's service running.
    public func withStore<T>(_ body: (any HeraldStore) async throws -> T) async throws -> T {
        switch kind {
        case .sqlite:
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            return try await body(try SQLiteStore(path: directory.file("herald.db"), sealer: .forTests))
        case .postgres(let url):
            let server = try PostgresLocation(parsing: url)
            let location = try await PostgresInstances.freshDatabase(server: server)
            // Dropped whatever the test's outcome, so a developer's long-lived server does not collect them.
            func drop() async throws {
                try await PostgresDatabaseAdmin.dropDatabase(location.database, server: server, logger: PostgresInstances.logger)
            }
            do {
                let result = try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { try await body($0[0]) }
                try await drop()
                return result
            } catch {
                try? await drop()
                throw error
            }
        }
    }

    public static let sqlite = StoreBackend(kind: .sqlite)

    /// A fresh database on the server of `url` for every store.
    public static func postgres(url: String) -> StoreBackend {
        StoreBackend(kind: .postgres(url: url))
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

/// PostgreSQL stores for tests: fresh databases, and stores running as their service runs in `herald serve`.
public enum PostgresInstances {
    static var logger: Logger {
        var logger = Logger(label: "herald.test.postgres")
        logger.logLevel = .error
        return logger
    }

    /// Creates an empty database with a unique name on `server`.
    public static func freshDatabase(server: PostgresLocation) async throws -> PostgresLocation {
        var location = server
        location.database = "herald_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresDatabaseAdmin.createDatabase(location.database, server: server, logger: logger)
        return location
    }

    /// Runs `store`'s service (pool, loops, migrations) while `body` runs, once the store is ready; stops it after.
    public static func running<T>(_ store: PostgresStore, _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            try await store.ready()
            return try await body()
        }
    }

    /// `count` stores on the database at `location` (instances, as far as the database can tell), started at the same
    /// moment and running while `body` runs.
    public static func withInstances<T>(
        _ count: Int,
        on location: PostgresLocation,
        sealer: SecretSealer,
        _ body: ([PostgresStore]) async throws -> T
    ) async throws -> T {
        let stores = (0..<count).map { _ in PostgresStore(location: location, sealer: sealer, logger: logger) }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.run() } }
            defer { group.cancelAll() }
            for store in stores { try await store.ready() }
            return try await body(stores)
        }
    }
}
