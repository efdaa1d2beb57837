import Foundation
import HeraldCore

/// Herald's settings, built once at start (by `herald serve` from flags, `HERALD_*` variables and its config file).
public struct HeraldConfiguration: Sendable {
    public var host: String = "0.0.0.0"
    public var port: Int = 8071
    /// `HERALD_METRICS`: record metrics and serve `/metrics` (on by default).
    public var metricsEnabled = true
    /// `HERALD_METRICS_PORT`: a second listener serving `/metrics` without a token; nil for none.
    public var metricsPort: Int?
    /// `HERALD_METRICS_HOST`: the address that listener binds, loopback unless the operator opens it wider.
    public var metricsHost = "127.0.0.1"
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
    /// `HERALD_RETENTION`: messages and their attempts older than this are deleted; nil keeps them.
    public var retention: RetentionPeriod?

    public init() {}

    /// Longest `HERALD_DISABLE_AFTER`: ten years, far inside what time arithmetic holds.
    public static let maximumDisableAfterSeconds: Int64 = 10 * 365 * 86_400

    /// The URL clients use to reach this server.
    public var effectivePublicURL: String {
        if let publicURL { return publicURL }
        let shownHost = (host == "0.0.0.0" || host == "::") ? "localhost" : host
        return "http://\(shownHost):\(port)"
    }
}
