import HeraldSetup
import Logging

/// Everything `herald serve` is configured with: Herald's own configuration plus what only the process needs.
public struct ServeSettings: Sendable {
    public var herald = HeraldConfiguration()
    public var logLevel: Logger.Level = .info
    public var role: ServeRole = .all

    public init() {}
}

/// What one `herald serve` process runs: the HTTP API, the delivery dispatcher, or both.
public enum ServeRole: String, Sendable, CaseIterable {
    case api, worker, all
}
