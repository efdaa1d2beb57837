/// How Herald delivers webhooks.
public struct DeliverySettings: Sendable, Hashable {
    /// Which header names carry the id, timestamp and signature.
    public enum HeaderNames: String, Sendable, Hashable {
        case webhook
        case svix
        case both
    }

    /// Requests in flight at once, over all endpoints (`HERALD_MAX_CONCURRENCY`).
    public var maxConcurrency: Int = 512
    /// Requests in flight at once to one endpoint, so one slow receiver cannot take every slot.
    public var maxConcurrencyPerEndpoint: Int = 64
    /// Deliveries one application may hold claimed at once over all its endpoints (`HERALD_MAX_CONCURRENCY_PER_APP`),
    /// so a tenant with many slow endpoints cannot take every slot either.
    public var maxConcurrencyPerApplication: Int = 128
    /// Whole-request timeout in seconds (`HERALD_REQUEST_TIMEOUT`, at most 30).
    public var requestTimeoutSeconds: Int = 15
    public var connectTimeoutSeconds: Int = 5
    public var retryPolicy = RetryPolicy()
    public var headerNames: HeaderNames = .both
    /// An endpoint failing without any success for this long is disabled (`HERALD_DISABLE_AFTER`, seconds).
    public var disableAfterSeconds: Int64 = 5 * 24 * 3600
    /// Most bytes of a response body kept in the attempt log.
    public var responseCaptureBytes = 20_000
    /// Which addresses may be sent to (`HERALD_ALLOWED_SUBNETS` adds to the public internet).
    public var destinationPolicy = DestinationPolicy()
    /// The safety-net poll, for due retries nothing signalled.
    public var pollIntervalMilliseconds: Int64 = 1000

    public init() {}

    /// A claimed delivery belongs to its dispatcher this long: longer than it may wait for its endpoint's slot (one
    /// request) and then take itself.
    public var leaseSeconds: Int64 { 2 * Int64(requestTimeoutSeconds + connectTimeoutSeconds) + 30 }
}

/// Herald's version, sent in `user-agent`.
public enum HeraldVersion {
    public static let current = "0.2.0"
}
