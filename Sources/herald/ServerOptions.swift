import ArgumentParser
import Foundation
import HeraldCore
import HeraldSetup

/// The database flag, for commands that only open the database (and its secret files).
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Database URL: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB (HERALD_DATABASE_URL, default sqlite:herald.db).")
    var database: String?

    /// Flags over environment over defaults.
    func configuration() throws -> HeraldConfiguration {
        var configuration = try HeraldConfiguration(environment: ProcessInfo.processInfo.environment)
        if let database { configuration.database = try DatabaseLocation(parsing: database) }
        return configuration
    }
}

/// Flags of `herald serve`; each overrides its `HERALD_*` variable.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (HERALD_HOST, default 0.0.0.0).")
    var host: String?

    @Option(help: "Port to listen on (HERALD_PORT, default 8071).")
    var port: Int?

    @OptionGroup var database: DatabaseOptions

    /// Flags over environment over defaults.
    func configuration() throws -> HeraldConfiguration {
        var configuration = try database.configuration()
        if let host { configuration.host = host }
        if let port { configuration.port = try HeraldConfiguration.parsePort(String(port), source: "--port") }
        return configuration
    }
}

extension HeraldConfiguration {
    /// The JWT secret and where it came from: `HERALD_JWT_SECRET`, or a `0600` file beside the SQLite database.
    func resolveJWTSecret() throws -> (secret: String, source: String) {
        if let jwtSecret { return (jwtSecret, "HERALD_JWT_SECRET") }
        let path = try sideFilePath(suffix: ".jwt-secret")
        let (secret, created) = try SecretFile.loadOrCreateReporting(at: path)
        return (secret, created ? "\(path) (created now)" : path)
    }

    /// The main key that seals secrets at rest, and where it came from: `HERALD_MAIN_KEY`, or a generated key in a
    /// `0600` file beside the database.
    func resolveMainKey() throws -> (sealer: SecretSealer, source: String) {
        if let mainKey { return (try SecretSealer(parsing: mainKey), "HERALD_MAIN_KEY") }
        let path = try sideFilePath(suffix: ".main-key")
        let (text, created) = try SecretFile.loadOrCreateReporting(at: path, make: SecretSealer.generateKeyText)
        return (try SecretSealer(parsing: text), created ? "\(path) (created now)" : path)
    }

    /// A file kept beside the SQLite database (generated secrets). With PostgreSQL there is none: every instance
    /// must sign tokens and seal secrets with the same keys, so they are configured, never generated per machine.
    func sideFilePath(suffix: String) throws -> String {
        switch database {
        case .sqlite(let path): return path + suffix
        case .postgres:
            throw ConfigurationError(
                "with PostgreSQL every instance must share its secrets: set HERALD_JWT_SECRET and HERALD_MAIN_KEY (and HERALD_OPERATIONAL_WEBHOOK_SECRET with operational webhooks)"
            )
        }
    }
}
