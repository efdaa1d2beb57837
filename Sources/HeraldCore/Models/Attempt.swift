/// Status of an attempt or of a message's delivery to one endpoint (Svix `MessageStatus`).
public enum MessageStatus: Int, Sendable, Hashable, Codable, CaseIterable {
    case success = 0
    /// Not attempted yet.
    case pending = 1
    /// Failed for good (or, for an attempt row, this attempt failed).
    case fail = 2
    /// A retry is scheduled.
    case sending = 3

    public var text: String {
        switch self {
        case .success: return "success"
        case .pending: return "pending"
        case .fail: return "fail"
        case .sending: return "sending"
        }
    }
}

/// Why an attempt was made.
public enum TriggerType: Int, Sendable, Hashable, Codable {
    case scheduled = 0
    case manual = 1
}

/// One HTTP request to an endpoint and what came back.
public struct Attempt: Sendable, Hashable {
    public var id: String
    public var messageID: String
    public var endpointID: String
    public var appID: String
    public var url: String
    /// The response body (at most 20,000 bytes; base64 when not UTF-8), or the transport error; nil once expunged.
    public var response: String?
    /// 0 when no HTTP response arrived.
    public var responseStatusCode: Int
    public var responseDurationMs: Int64
    /// `.success` or `.fail`.
    public var status: MessageStatus
    public var triggerType: TriggerType
    public var createdAt: Timestamp

    public init(
        id: String,
        messageID: String,
        endpointID: String,
        appID: String,
        url: String,
        response: String?,
        responseStatusCode: Int,
        responseDurationMs: Int64,
        status: MessageStatus,
        triggerType: TriggerType,
        createdAt: Timestamp
    ) {
        self.id = id
        self.messageID = messageID
        self.endpointID = endpointID
        self.appID = appID
        self.url = url
        self.response = response
        self.responseStatusCode = responseStatusCode
        self.responseDurationMs = responseDurationMs
        self.status = status
        self.triggerType = triggerType
        self.createdAt = createdAt
    }
}

/// Where a message stands with one endpoint.
public struct DestinationState: Sendable, Hashable {
    public var status: MessageStatus
    public var nextAttempt: Timestamp?

    public init(status: MessageStatus, nextAttempt: Timestamp?) {
        self.status = status
        self.nextAttempt = nextAttempt
    }
}
