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
