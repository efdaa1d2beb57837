import Foundation
import HeraldCore

/// `PollingEndpointMessageOut`: a message as a polling endpoint's reader sees it.
struct PollingEndpointMessageOut: Encodable {
    var id: String
    var eventType: String
    var eventId: String?
    var channels: [String]?
    var payload: JSONValue
    var timestamp: Timestamp

    init(_ message: Message, now: Timestamp) {
        id = message.id
        eventType = message.eventType
        eventId = message.eventID
        channels = message.channels
        timestamp = message.createdAt
        payload = MessageOut.payload(of: message, withContent: true, now: now)
    }
}

/// `PollingEndpointOut`: a page of the feed and the iterator to continue from (always present, even when empty).
struct PollingEndpointOut: Encodable {
    var data: [PollingEndpointMessageOut]
    var iterator: String
    var done: Bool
}

/// `PollingEndpointConsumerSeekIn`: `after` (Svix), or — a Herald extension — an `iterator` to continue from.
struct PollingEndpointConsumerSeekIn: Decodable {
    var after: String?
    var iterator: String?
}

/// `PollingEndpointConsumerSeekOut`.
struct PollingEndpointConsumerSeekOut: Encodable {
    var iterator: String
}
