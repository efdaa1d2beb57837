/// A delivery claimed by a dispatcher: everything needed to send it, read in one query with the claim.
public struct DeliveryTask: Sendable, Hashable {
    public var deliveryID: Int64
    public var triggerType: TriggerType
    /// Scheduled attempts already made (0 for the first).
    public var attemptNumber: Int

    public var orgID: String
    public var appID: String
    public var appUID: String?
    public var messageID: String
    public var eventID: String?
    public var eventType: String
    /// nil when expunged.
    public var payload: [UInt8]?
    public var payloadExpiresAt: Timestamp

    public var endpointID: String
    public var endpointUID: String?
    public var url: String
    public var secret: EndpointSecret
    public var previousSecrets: [ExpiringSecret]
    public var headers: [String: String]
    /// Disabled or deleted since the delivery was queued.
    public var endpointInactive: Bool
    /// The message's `traceparent`: its attempts join the trace of the request that published it.
    public var traceParent: String?
    /// The endpoint's delivery policy (its retry schedule and timeout apply to this attempt).
    public var policy: EndpointPolicy
    /// The endpoint's and the application's `throttleRate`, if set.
    public var throttleRate: ThrottleRate?
    public var appThrottleRate: ThrottleRate?
    /// The send time a throttle reserved for it, when later than its claim.
    public var notBefore: Timestamp?
    /// Its endpoint's circuit breaker when it was claimed.
    public var breaker: BreakerState
    /// The sender's content type and headers, for a message received from a source.
    public var inbound: InboundEnvelope?
    /// Private networks the application may reach (`Application.allowedSubnets`), when the endpoint was last written
    /// with an org token (`Endpoint.orgApproved`); none otherwise.
    public var appAllowedSubnets: [IPNetwork] = []
    /// Sent as its endpoint's probe: its result closes or reopens the breaker.
    public var isProbe = false

    public init(
        deliveryID: Int64,
        triggerType: TriggerType,
        attemptNumber: Int,
        orgID: String,
        appID: String,
        appUID: String?,
        messageID: String,
        eventID: String?,
        eventType: String,
        payload: [UInt8]?,
        payloadExpiresAt: Timestamp,
        endpointID: String,
        endpointUID: String?,
        url: String,
        secret: EndpointSecret,
        previousSecrets: [ExpiringSecret],
        headers: [String: String],
        endpointInactive: Bool,
        traceParent: String? = nil,
        policy: EndpointPolicy = EndpointPolicy(),
        throttleRate: ThrottleRate? = nil,
        appThrottleRate: ThrottleRate? = nil,
        breaker: BreakerState = .closed
    ) {
        self.breaker = breaker
        self.throttleRate = throttleRate
        self.appThrottleRate = appThrottleRate
        self.traceParent = traceParent
        self.policy = policy
        self.deliveryID = deliveryID
        self.triggerType = triggerType
        self.attemptNumber = attemptNumber
        self.orgID = orgID
        self.appID = appID
        self.appUID = appUID
        self.messageID = messageID
        self.eventID = eventID
        self.eventType = eventType
        self.payload = payload
        self.payloadExpiresAt = payloadExpiresAt
        self.endpointID = endpointID
        self.endpointUID = endpointUID
        self.url = url
        self.secret = secret
        self.previousSecrets = previousSecrets
        self.headers = headers
        self.endpointInactive = endpointInactive
    }

    /// Keys that sign a request sent at `now`.
    public func signingSecrets(at now: Timestamp) -> [EndpointSecret] {
        [secret] + previousSecrets.filter { $0.expiresAt > now }.map(\.secret)
    }
}

/// What happened to a claimed delivery, for the store to record in one transaction.
public struct DeliveryResult: Sendable, Hashable {
    public enum Next: Sendable, Hashable {
        /// Delivered.
        case succeeded
        /// Try again at this time.
        case retry(at: Timestamp)
        /// Failed for good (exhausted, or the endpoint is gone).
        case failed
    }

    /// The attempt made; nil when the delivery ended without a request (endpoint disabled, payload expired).
    public var attempt: Attempt?
    public var next: Next
    /// Disable the endpoint now (it answered 410 Gone).
    public var disableEndpoint: Bool
    /// A failed circuit-breaker probe: the endpoint is failing even though no delivery was given up (the others wait),
    /// so it counts toward auto-disable as an exhausted delivery does.
    public var failedProbe = false

    public init(attempt: Attempt?, next: Next, disableEndpoint: Bool = false) {
        self.attempt = attempt
        self.next = next
        self.disableEndpoint = disableEndpoint
    }
}

/// What recording a result changed beyond the delivery itself.
public struct DeliveryEffects: Sendable, Hashable {
    /// The endpoint was disabled by this result (410, or failing without success for longer than allowed);
    /// carries when its failures began.
    public var endpointDisabled: Timestamp?

    public init(endpointDisabled: Timestamp? = nil) {
        self.endpointDisabled = endpointDisabled
    }
}
