import Foundation
import HeraldCore

/// A PostgreSQL server and database, from a `postgres://` URL.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// `sslmode=require` (or `verify-full`) in the URL: refuse to talk without TLS. Otherwise TLS is used when the
    /// server offers it.
    public var requireTLS: Bool

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, requireTLS: Bool = false) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.requireTLS = requireTLS
    }

    public init(parsing text: String) throws {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw ConfigurationError("'\(PostgresLocation.redacted(text))' is not a postgres://USER:PASSWORD@HOST:PORT/DATABASE URL")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw ConfigurationError("the PostgreSQL URL needs a database name after the host, e.g. /herald") }
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else {
            throw ConfigurationError("unknown sslmode '\(sslMode)' in the PostgreSQL URL")
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: components.user?.removingPercentEncoding ?? "postgres",
            password: components.password?.removingPercentEncoding,
            database: database,
            requireTLS: ["require", "verify-ca", "verify-full"].contains(sslMode)
        )
    }

    /// The URL without its password, for logs.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// The URL with anything between the scheme and the last `@` masked, done on the text: a password with `/`, `#`,
    /// `?` or `%` in it makes the URL unparseable, and that must not put it in an error message.
    public static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", options: .backwards),
            scheme.upperBound <= at.lowerBound
        else { return text.contains("@") ? "the PostgreSQL URL" : text }
        return String(text[..<scheme.upperBound]) + "***" + String(text[at.lowerBound...])
    }
}
