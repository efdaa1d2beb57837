/// A URL an application's events are delivered to, with its filters, headers and signing keys.
public struct Endpoint: Sendable, Hashable {
    public var id: String
    public var appID: String
    public var uid: String?
    public var url: String
    public var description: String
    public var disabled: Bool
    /// nil: every event type.
    public var eventTypes: [String]?
    /// nil: messages with or without channels; otherwise messages sharing at least one channel.
    public var channels: [String]?
    public var throttleRate: Int?
    public var metadata: [String: String]
    public var headers: [String: String]
    /// The key that signs now.
    public var secret: EndpointSecret
    /// Keys replaced by a rotation that still sign until they expire.
    public var previousSecrets: [ExpiringSecret]
    /// How deliveries to it differ from the server's settings.
    public var policy: EndpointPolicy
    /// Last written with an org token: only then may it reach the private networks granted to its application (an
    /// endpoint a customer's app token wrote stays behind the SSRF guard whatever the grant).
    public var orgApproved = false
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: String,
        appID: String,
        uid: String?,
        url: String,
        description: String,
        disabled: Bool,
        eventTypes: [String]?,
        channels: [String]?,
        throttleRate: Int?,
        metadata: [String: String],
        headers: [String: String],
        secret: EndpointSecret,
        previousSecrets: [ExpiringSecret],
        policy: EndpointPolicy = EndpointPolicy(),
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.appID = appID
        self.uid = uid
        self.url = url
        self.description = description
        self.disabled = disabled
        self.eventTypes = eventTypes
        self.channels = channels
        self.throttleRate = throttleRate
        self.metadata = metadata
        self.headers = headers
        self.secret = secret
        self.previousSecrets = previousSecrets
        self.policy = policy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The keys that sign a request sent at `now`: the current one and every unexpired previous one.
    public func signingSecrets(at now: Timestamp) -> [EndpointSecret] {
        [secret] + previousSecrets.filter { $0.expiresAt > now }.map(\.secret)
    }
}

/// A signing key kept valid for a grace period after a rotation.
public struct ExpiringSecret: Sendable, Hashable, Codable {
    public var secret: EndpointSecret
    public var expiresAt: Timestamp

    public init(secret: EndpointSecret, expiresAt: Timestamp) {
        self.secret = secret
        self.expiresAt = expiresAt
    }
}

extension Endpoint {
    /// A polling endpoint: its messages are kept in its feed for consumers to read instead of being sent.
    public var isPoller: Bool { url == EndpointURL.poller }
}
