import HeraldCore
import Logging
import PostgresNIO

/// Server-level chores outside any Herald database: creating and dropping one (the test suites give each test a fresh
/// database).
public enum PostgresDatabaseAdmin {
    /// Creates the database `name` on the server of `server` (connecting to `server.database`).
    public static func createDatabase(_ name: String, server: PostgresLocation, logger: Logger) async throws {
        try await run("CREATE DATABASE", name, server: server, logger: logger)
    }

    /// Drops the database `name`, closing any session still in it (PostgreSQL 13 or later).
    public static func dropDatabase(_ name: String, server: PostgresLocation, logger: Logger) async throws {
        try await run("DROP DATABASE IF EXISTS", name, server: server, logger: logger, options: " WITH (FORCE)")
    }

    private static func run(_ command: String, _ name: String, server: PostgresLocation, logger: Logger, options: String = "") async throws {
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw ConfigurationError("a database name may hold letters, digits and underscores only")
        }
        let client = PostgresClient(
            configuration: PostgresClient.Configuration(
                host: server.host,
                port: server.port,
                username: server.username,
                password: server.password,
                database: server.database,
                tls: server.requireTLS ? .require(.makeClientConfiguration()) : .disable
            ),
            backgroundLogger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.run("\(unescaped: command) \(unescaped: name)\(unescaped: options)")
        }
    }
}
