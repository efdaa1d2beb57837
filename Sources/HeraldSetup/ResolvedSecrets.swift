import HeraldCore

extension HeraldConfiguration {
    /// The JWT secret and where it came from: the `jwt_secret` setting (`HERALD_JWT_SECRET` or the config file), or a `0600` file beside the SQLite database.
    public func resolveJWTSecret() throws -> (secret: String, source: String) {
        if let jwtSecret { return (jwtSecret, "the jwt_secret setting") }
        let path = try sideFilePath(suffix: ".jwt-secret")
        let (secret, created) = try SecretFile.loadOrCreateReporting(at: path)
        return (secret, created ? "\(path) (created now)" : path)
    }

    /// The main key that seals secrets at rest, and where it came from: the `main_key` setting, or a generated key in a
    /// `0600` file beside the database.
    public func resolveMainKey() throws -> (sealer: SecretSealer, source: String) {
        if let mainKey { return (try SecretSealer(parsing: mainKey), "the main_key setting") }
        let path = try sideFilePath(suffix: ".main-key")
        let (text, created) = try SecretFile.loadOrCreateReporting(at: path, make: SecretSealer.generateKeyText)
        return (try SecretSealer(parsing: text), created ? "\(path) (created now)" : path)
    }

    /// A file kept beside the SQLite database (generated secrets). With PostgreSQL there is none: every instance
    /// must sign tokens and seal secrets with the same keys, so they are configured, never generated per machine.
    public func sideFilePath(suffix: String) throws -> String {
        switch database {
        case .sqlite(let path): return path + suffix
        case .postgres:
            throw ConfigurationError(
                "with PostgreSQL every instance must share its secrets: set HERALD_JWT_SECRET and HERALD_MAIN_KEY (and HERALD_OPERATIONAL_WEBHOOK_SECRET with operational webhooks)"
            )
        }
    }
}
