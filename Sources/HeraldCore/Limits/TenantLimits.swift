/// What one application (tenant) or one token may use of a shared Herald, so that one tenant's bad day — a flood of
/// messages, a loop of resends, a portal left open in many tabs — does not become the others'.
public struct TenantLimits: Sendable {
    /// Live endpoints one application may have (`HERALD_MAX_ENDPOINTS_PER_APP`).
    public var maxEndpointsPerApplication: Int
    /// Event types one endpoint may filter on (`HERALD_MAX_EVENT_TYPES_PER_ENDPOINT`).
    public var maxEventTypesPerEndpoint: Int
    /// Messages per second one application may create, sustained (`HERALD_MESSAGE_RATE_PER_APP`; 0: no limit); bursts
    /// of twice as many pass.
    public var messagesPerSecondPerApplication: Double
    /// Resends per second one application may ask for, sustained (`HERALD_RESEND_RATE_PER_APP`); a recover costs ten.
    /// Bursts of ten seconds' worth pass.
    public var resendsPerSecondPerApplication: Double
    /// Live-view and feed streams one token may hold open at once (`HERALD_MAX_STREAMS_PER_TOKEN`).
    public var maxStreamsPerToken: Int

    public init(
        maxEndpointsPerApplication: Int = 100,
        maxEventTypesPerEndpoint: Int = 100,
        messagesPerSecondPerApplication: Double = 2000,
        resendsPerSecondPerApplication: Double = 5,
        maxStreamsPerToken: Int = 10
    ) {
        self.maxEndpointsPerApplication = maxEndpointsPerApplication
        self.maxEventTypesPerEndpoint = maxEventTypesPerEndpoint
        self.messagesPerSecondPerApplication = messagesPerSecondPerApplication
        self.resendsPerSecondPerApplication = resendsPerSecondPerApplication
        self.maxStreamsPerToken = maxStreamsPerToken
    }

    /// A recover asks for many deliveries at once: it costs this many resends.
    public static let recoverCost: Double = 10
}
