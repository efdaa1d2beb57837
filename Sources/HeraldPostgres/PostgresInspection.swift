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
            for try await milliseconds in try await client.query("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint")
                .decode(Int64.self)
            {
                serverTime = (Timestamp(milliseconds: milliseconds), Timestamp.now())
            }
            var migrated = false
            for try await exists in try await client.query("SELECT to_regclass('herald_migrations') IS NOT NULL").decode(Bool.self) {
                migrated = exists
            }
            var applied = Set<String>()
            var urls: [String] = []
            if migrated {
                for try await identifier in try await client.query("SELECT identifier FROM herald_migrations").decode(String.self) {
                    applied.insert(identifier)
                }
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
        var urls: [String] = []
        let limit = DatabaseFacts.endpointLimit
        for try await url in try await client.query("SELECT url FROM endpoints WHERE deleted_at IS NULL AND NOT disabled LIMIT \(limit)")
            .decode(String.self)
        {
            urls.append(url)
        }
        return urls
    }
}
