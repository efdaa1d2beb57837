/// An event sent to an application: its type, optional idempotent event id, channels and the payload bytes.
public struct Message: Sendable, Hashable {
    public var id: String
    public var appID: String
    public var eventType: String
    public var eventID: String?
    public var channels: [String]?
    /// The payload's JSON text exactly as received; nil once expunged or expired.
    public var payload: [UInt8]?
    public var payloadExpiresAt: Timestamp
    public var createdAt: Timestamp
    /// The W3C `traceparent` of the request that published it, when Herald traces (see `TraceParent`).
    public var traceParent: String?
    /// For a message received from a source: the request's content type and the sender's headers (its payload is then
    /// the request's body, byte for byte, JSON or not).
    public var inbound: InboundEnvelope?
    /// The answer to keep under the request's idempotency key with the message (not part of the message itself).
    public var idempotentAnswer: IdempotentAnswer?

    public init(
        id: String,
        appID: String,
        eventType: String,
        eventID: String?,
        channels: [String]?,
        payload: [UInt8]?,
        payloadExpiresAt: Timestamp,
        createdAt: Timestamp,
        traceParent: String? = nil,
        inbound: InboundEnvelope? = nil
    ) {
        self.inbound = inbound
        self.traceParent = traceParent
        self.id = id
        self.appID = appID
        self.eventType = eventType
        self.eventID = eventID
        self.channels = channels
        self.payload = payload
        self.payloadExpiresAt = payloadExpiresAt
        self.createdAt = createdAt
    }
}
