import ArgumentParser
import Foundation
import HeraldCore
import HeraldSettings

/// The database and config-file flags, for commands that open the database (and its secret files).
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Config file, YAML or JSON (HERALD_CONFIG). Flags and HERALD_* variables override what it says.")
    var config: String?

    @Option(help: "Database URL: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB (HERALD_DATABASE_URL, default sqlite:herald.db).")
    var database: String?

    /// Flags over environment over the config file over defaults; every bad setting reported at once.
    func load(flags: [String: String] = [:]) throws -> LoadedSettings {
        var flags = flags
        if let database { flags["database"] = database }
        do {
            return try LoadedSettings(flags: flags, environment: ProcessInfo.processInfo.environment, configFile: config)
        } catch let error as SettingsError {
            throw Self.refuse("the settings are not valid:\n" + error.description)
        } catch let error as ConfigurationError {
            throw Self.refuse(error.description)
        }
    }

    /// Says what is wrong (not a usage error: no usage text) and exits with EX_CONFIG (78), which the systemd unit
    /// does not restart on: a bad setting stays bad until someone edits it.
    private static func refuse(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data(("Error: " + message + "\n").utf8))
        return ExitCode(78)
    }
}

/// Flags of `herald serve`; each overrides its `HERALD_*` variable and its config-file key.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (HERALD_HOST, default 0.0.0.0).")
    var host: String?

    @Option(help: "Port to listen on (HERALD_PORT, default 8071).")
    var port: Int?

    @Option(help: "A second port serving only /metrics, without a token (HERALD_METRICS_PORT; none by default).")
    var metricsPort: Int?

    @Option(help: "What to run: api (HTTP only), worker (delivery only) or all (HERALD_ROLE, default all).")
    var role: String?

    @OptionGroup var database: DatabaseOptions

    func load() throws -> LoadedSettings {
        var flags: [String: String] = [:]
        if let host { flags["host"] = host }
        if let port { flags["port"] = String(port) }
        if let metricsPort { flags["metrics_port"] = String(metricsPort) }
        if let role { flags["role"] = role }
        return try database.load(flags: flags)
    }
}
