/// What `herald doctor` reads from a database without changing it.
public struct DatabaseFacts: Sendable {
    /// Migrations applied (empty for a database Herald has not started on yet).
    public var appliedMigrations: Set<String>
    /// The migrations this build knows, in order.
    public var knownMigrations: [String]
    /// URLs of the live, enabled endpoints (the first `limit` read).
    public var endpointURLs: [String]
    /// The database server's clock (PostgreSQL) and this machine's, read as its answer arrived.
    public var serverTime: (server: Timestamp, local: Timestamp)?

    public init(
        appliedMigrations: Set<String>,
        knownMigrations: [String],
        endpointURLs: [String],
        serverTime: (server: Timestamp, local: Timestamp)?
    ) {
        self.appliedMigrations = appliedMigrations
        self.knownMigrations = knownMigrations
        self.endpointURLs = endpointURLs
        self.serverTime = serverTime
    }

    /// How many endpoint URLs an inspection reads at most.
    public static let endpointLimit = 10_000
}
