import HeraldCore

/// `MessageAttemptOut`: every field is required by the SDK.
struct MessageAttemptOut: Encodable {
    var id: String
    var msgId: String
    var endpointId: String
    var url: String
    var response: String
    var responseStatusCode: Int
    var responseDurationMs: Int64
    var status: Int
    var statusText: String
    var triggerType: Int
    var timestamp: Timestamp

    init(_ attempt: Attempt, withContent: Bool) {
        id = attempt.id
        msgId = attempt.messageID
        endpointId = attempt.endpointID
        url = attempt.url
        response = withContent ? (attempt.response ?? "") : "{}"
        responseStatusCode = attempt.responseStatusCode
        responseDurationMs = attempt.responseDurationMs
        status = attempt.status.rawValue
        statusText = attempt.status.text
        triggerType = attempt.triggerType.rawValue
        timestamp = attempt.createdAt
    }
}

/// `EndpointMessageOut`: a message with its delivery state for one endpoint.
struct EndpointMessageOut: Encodable {
    var id: String
    var eventType: String
    var eventId: String?
    var channels: [String]?
    var payload: JSONValue
    var timestamp: Timestamp
    var status: Int
    var statusText: String
    var nextAttempt: Timestamp?

    init(_ message: Message, state: DestinationState, withContent: Bool, now: Timestamp) {
        id = message.id
        eventType = message.eventType
        eventId = message.eventID
        channels = message.channels
        payload = MessageOut.payload(of: message, withContent: withContent, now: now)
        timestamp = message.createdAt
        status = state.status.rawValue
        statusText = state.status.text
        nextAttempt = state.nextAttempt
    }
}

/// `MessageEndpointOut`: an endpoint with a message's delivery state there.
struct MessageEndpointOut: Encodable {
    var id: String
    var uid: String?
    var url: String
    var description: String
    var disabled: Bool
    var eventTypes: [String]?
    var channels: [String]?
    var throttleRate: Int?
    var createdAt: Timestamp
    var updatedAt: Timestamp
    var status: Int
    var statusText: String
    var nextAttempt: Timestamp?

    init(_ endpoint: Endpoint, state: DestinationState) {
        id = endpoint.id
        uid = endpoint.uid
        url = endpoint.url
        description = endpoint.description
        disabled = endpoint.disabled
        eventTypes = endpoint.eventTypes
        channels = endpoint.channels
        throttleRate = endpoint.throttleRate
        createdAt = endpoint.createdAt
        updatedAt = endpoint.updatedAt
        status = state.status.rawValue
        statusText = state.status.text
        nextAttempt = state.nextAttempt
    }
}

/// `EndpointStats`.
struct EndpointStatsOut: Encodable {
    var success: Int
    var pending: Int
    var sending: Int
    var fail: Int
    var canceled = 0

    init(_ stats: EndpointStats) {
        success = stats.success
        pending = stats.pending
        sending = stats.sending
        fail = stats.fail
    }
}

/// `RecoverIn`.
struct RecoverIn: Decodable {
    var since: Timestamp
    var until: Timestamp?
}

/// `RecoverOut`: Herald re-queues in one transaction, so the task has already finished when this is returned.
struct RecoverOut: Encodable {
    var id: String
    var status: String
    var task: String
    var updatedAt: Timestamp
}

/// `EventExampleIn`.
struct EventExampleIn: Decodable {
    var eventType: String
}
