import HeraldCore
import Logging
import PostgresNIO

/// Reads a PostgreSQL database for `herald doctor` without changing it: its clock, its migrations, its endpoints.
public enum PostgresInspection {
    /// How long the inspection may take: the client retries a connection it cannot make rather than failing, so an
    /// unreachable server is reported when this runs out.
    public static let deadline = Duration.seconds(10)

    public static func inspect(location: PostgresLocation, logger: Logger) async throws -> DatabaseFacts {
        try await withThrowingTaskGroup(of: DatabaseFacts?.self) { group in
            group.addTask { try await read(location: location, logger: logger) }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let facts = first else {
                throw ConfigurationError("no answer within \(deadline)")
            }
            return facts
        }
    }

    static func read(location: PostgresLocation, logger: Logger) async throws -> DatabaseFacts {
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: location.requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        configuration.options.connectTimeout = .seconds(3)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            var serverTime: (server: Timestamp, local: Timestamp)?
            for row in try await client.rows("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now") {
                serverTime = (Timestamp(milliseconds: try row.value("now", as: Int64.self)), Timestamp.now())
            }
            let migrated = try await client.rows("SELECT to_regclass('herald_migrations') IS NOT NULL AS migrated")
                .contains { try $0.value("migrated", as: Bool.self) }
            var applied = Set<String>()
            var urls: [String] = []
            if migrated {
                applied = Set(try await client.rows("SELECT identifier FROM herald_migrations").map { try $0.value("identifier", as: String.self) })
                // A schema this build does not know may not have these columns; the schema finding says why.
                urls = (try? await endpointURLs(client)) ?? []
            }
            return DatabaseFacts(
                appliedMigrations: applied,
                knownMigrations: PostgresMigrations.all.map(\.identifier),
                endpointURLs: urls,
                serverTime: serverTime
            )
        }
    }

    static func endpointURLs(_ client: PostgresClient) async throws -> [String] {
        let limit = DatabaseFacts.endpointLimit
        return try await client.rows("SELECT url FROM endpoints WHERE deleted_at IS NULL AND NOT disabled LIMIT \(limit)")
            .map { try $0.value("url", as: String.self) }
    }
}
