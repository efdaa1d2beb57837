import HeraldCore
import HeraldPostgres

/// Where Herald keeps its data.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Parses `sqlite:PATH` (also `sqlite://PATH`) or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.
    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw ConfigurationError("the database URL 'sqlite:' needs a file path, e.g. sqlite:herald.db") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(parsing: text))
        } else {
            throw ConfigurationError(
                "unknown database URL '\(PostgresLocation.redacted(text))'; use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            )
        }
    }

    /// The backend, as the metrics name it.
    public var backendName: DatabaseBackendName {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let location): return location.description
        }
    }
}
