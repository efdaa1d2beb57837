import Foundation
import HeraldCore

/// Herald's settings, built once at start: command-line flags over `HERALD_*` environment variables over defaults.
public struct HeraldConfiguration: Sendable {
    public var host: String = "0.0.0.0"
    public var port: Int = 8071
    public var database: DatabaseLocation = .sqlite(path: "herald.db")
    /// `HERALD_JWT_SECRET`; nil means "use (or create) the secret file beside the database".
    public var jwtSecret: String?
    /// `HERALD_MAIN_KEY` (32 bytes, base64): seals secrets at rest; nil means "use (or create) the key file beside the database".
    public var mainKey: String?
    public var httpsOnly: Bool = false
    public var maxBodyBytes: Int = 1 << 20
    public var defaultSignature: EndpointSecret.Kind = .hmac
    /// `HERALD_PUBLIC_URL`: how clients reach this server (app-portal links); derived from host and port if unset.
    public var publicURL: String?
    public var delivery = DeliverySettings()
    /// What one tenant or token may use (`HERALD_MAX_ENDPOINTS_PER_APP` and the others of `TenantLimits`).
    public var limits = TenantLimits()
    /// `HERALD_OPERATIONAL_WEBHOOK_URL`: where operational events go; none are sent when unset.
    public var operationalWebhookURL: String?
    /// `HERALD_OPERATIONAL_WEBHOOK_SECRET`: the key they are signed with; generated and kept beside the database if unset.
    public var operationalWebhookSecret: EndpointSecret?

    public init() {}

    /// Reads the `HERALD_*` variables of `environment`; a malformed value is an error naming the variable.
    public init(environment: [String: String]) throws {
        if let host = environment["HERALD_HOST"], !host.isEmpty { self.host = host }
        if let port = environment["HERALD_PORT"] { self.port = try Self.parsePort(port, source: "HERALD_PORT") }
        if let url = environment["HERALD_DATABASE_URL"], !url.isEmpty { self.database = try DatabaseLocation(parsing: url) }
        if let secret = environment["HERALD_JWT_SECRET"], !secret.isEmpty { self.jwtSecret = secret }
        if let key = environment["HERALD_MAIN_KEY"], !key.isEmpty {
            _ = try SecretSealer(parsing: key)
            self.mainKey = key
        }
        if let value = environment["HERALD_HTTPS_ONLY"] { self.httpsOnly = try Self.parseBool(value, source: "HERALD_HTTPS_ONLY") }
        if let value = environment["HERALD_MAX_BODY_BYTES"] {
            guard let bytes = Int(value), bytes >= 1024 else {
                throw ConfigurationError("HERALD_MAX_BODY_BYTES must be a whole number of bytes, at least 1024")
            }
            self.maxBodyBytes = bytes
        }
        if let value = environment["HERALD_DEFAULT_SIGNATURE"] {
            guard let kind = EndpointSecret.Kind(rawValue: value) else {
                throw ConfigurationError("HERALD_DEFAULT_SIGNATURE must be 'hmac' or 'ed25519'")
            }
            self.defaultSignature = kind
        }
        if let url = environment["HERALD_PUBLIC_URL"], !url.isEmpty { self.publicURL = url }
        try readDeliverySettings(environment)
        try readTenantLimits(environment)
        if let url = environment["HERALD_OPERATIONAL_WEBHOOK_URL"], !url.isEmpty {
            guard EndpointURL.check(url, httpsOnly: false, policy: delivery.destinationPolicy, loc: []).isEmpty else {
                throw ConfigurationError("HERALD_OPERATIONAL_WEBHOOK_URL must be an http(s) URL, not '\(url)'")
            }
            self.operationalWebhookURL = url
        }
        if let secret = environment["HERALD_OPERATIONAL_WEBHOOK_SECRET"], !secret.isEmpty {
            guard let parsed = EndpointSecret(parsing: secret) else {
                throw ConfigurationError("HERALD_OPERATIONAL_WEBHOOK_SECRET must be a whsec_ or whsk_ secret")
            }
            self.operationalWebhookSecret = parsed
        }
    }

    private mutating func readTenantLimits(_ environment: [String: String]) throws {
        func count(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let value = environment[name] else { return nil }
            guard let count = Int(value), range.contains(count) else {
                throw ConfigurationError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return count
        }
        func rate(_ name: String, allowsOff: Bool) throws -> Double? {
            guard let value = environment[name] else { return nil }
            guard let rate = Double(value), rate.isFinite, rate <= 1_000_000, allowsOff ? rate >= 0 : rate > 0 else {
                throw ConfigurationError("\(name) must be a number per second up to 1000000\(allowsOff ? " (0: no limit)" : ", above 0")")
            }
            return rate
        }
        if let value = try count("HERALD_MAX_ENDPOINTS_PER_APP", 1...100_000) { limits.maxEndpointsPerApplication = value }
        if let value = try count("HERALD_MAX_EVENT_TYPES_PER_ENDPOINT", 1...10_000) { limits.maxEventTypesPerEndpoint = value }
        if let value = try count("HERALD_MAX_STREAMS_PER_TOKEN", 1...10_000) { limits.maxStreamsPerToken = value }
        if let value = try rate("HERALD_MESSAGE_RATE_PER_APP", allowsOff: true) { limits.messagesPerSecondPerApplication = value }
        if let value = try rate("HERALD_RESEND_RATE_PER_APP", allowsOff: false) { limits.resendsPerSecondPerApplication = value }
    }

    private mutating func readDeliverySettings(_ environment: [String: String]) throws {
        if let value = environment["HERALD_MAX_CONCURRENCY"] {
            guard let count = Int(value), (1...100_000).contains(count) else {
                throw ConfigurationError("HERALD_MAX_CONCURRENCY must be a whole number from 1 to 100000")
            }
            delivery.maxConcurrency = count
        }
        if let value = environment["HERALD_MAX_CONCURRENCY_PER_APP"] {
            guard let count = Int(value), (1...100_000).contains(count) else {
                throw ConfigurationError("HERALD_MAX_CONCURRENCY_PER_APP must be a whole number from 1 to 100000")
            }
            delivery.maxConcurrencyPerApplication = count
        }
        if let value = environment["HERALD_REQUEST_TIMEOUT"] {
            guard let seconds = Int(value), (1...30).contains(seconds) else {
                throw ConfigurationError("HERALD_REQUEST_TIMEOUT must be whole seconds from 1 to 30")
            }
            delivery.requestTimeoutSeconds = seconds
        }
        if let value = environment["HERALD_RETRY_SCHEDULE"] {
            guard let policy = RetryPolicy(parsing: value) else {
                throw ConfigurationError("HERALD_RETRY_SCHEDULE must be comma-separated seconds, e.g. 5,300,1800")
            }
            delivery.retryPolicy = policy
        }
        if let value = environment["HERALD_HEADERS"] {
            guard let names = DeliverySettings.HeaderNames(rawValue: value) else {
                throw ConfigurationError("HERALD_HEADERS must be webhook, svix or both")
            }
            delivery.headerNames = names
        }
        if let value = environment["HERALD_ALLOWED_SUBNETS"] {
            guard let policy = DestinationPolicy(parsingAllowedSubnets: value) else {
                throw ConfigurationError("HERALD_ALLOWED_SUBNETS must be comma-separated CIDRs, e.g. 10.1.0.0/16,fd12::/64")
            }
            delivery.destinationPolicy = policy
        }
        if let value = environment["HERALD_DISABLE_AFTER"] {
            guard let seconds = Int64(value), (1...Self.maximumDisableAfterSeconds).contains(seconds) else {
                throw ConfigurationError("HERALD_DISABLE_AFTER must be a number of seconds from 1 to \(Self.maximumDisableAfterSeconds) (10 years)")
            }
            delivery.disableAfterSeconds = seconds
        }
    }

    /// Longest `HERALD_DISABLE_AFTER`: ten years, far inside what time arithmetic holds.
    public static let maximumDisableAfterSeconds: Int64 = 10 * 365 * 86_400

    /// The URL clients use to reach this server.
    public var effectivePublicURL: String {
        if let publicURL { return publicURL }
        let shownHost = (host == "0.0.0.0" || host == "::") ? "localhost" : host
        return "http://\(shownHost):\(port)"
    }

    public static func parsePort(_ value: String, source: String) throws -> Int {
        guard let port = Int(value), (0...65535).contains(port) else {
            throw ConfigurationError("\(source) must be a port number between 0 and 65535, not '\(value)'")
        }
        return port
    }

    static func parseBool(_ value: String, source: String) throws -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no", "": return false
        default: throw ConfigurationError("\(source) must be true or false, not '\(value)'")
        }
    }
}
