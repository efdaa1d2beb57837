import HeraldSetup
import Logging

/// Everything `herald serve` is configured with: Herald's own configuration plus what only the process needs.
public struct ServeSettings: Sendable {
    public var herald = HeraldConfiguration()
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .text
    public var role: ServeRole = .all
    /// `HERALD_OTEL_ENDPOINT`: the OTLP/HTTP collector spans are exported to (`http://collector:4318`); none when nil.
    public var otelEndpoint: String?

    public init() {}
}

/// What one `herald serve` process runs: the HTTP API, the delivery dispatcher, or both.
public enum ServeRole: String, Sendable, CaseIterable {
    case api, worker, all
}

/// How `herald serve` writes its log: readable lines, or one JSON object per line for a log pipeline.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}
