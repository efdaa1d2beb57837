import Foundation
import HeraldCore
import NIOCore

/// `MessageIn`. The payload is also located in the raw body so it is stored exactly as sent.
struct MessageIn: Decodable, Sendable {
    var eventType: String
    /// Whether the payload is a JSON object; its bytes are taken from the raw body, never decoded on ingest.
    var payloadIsObject: Bool
    var eventId: String?
    var channels: [String]?
    var payloadRetentionPeriod: Int?
    var application: ApplicationIn?
    /// The payload's bytes, when the plain reader already found them.
    var payloadBytes: [UInt8]?

    enum CodingKeys: String, CodingKey {
        case eventType, payload, data, eventId, channels, payloadRetentionPeriod, application
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventType = try container.decode(String.self, forKey: .eventType)
        let payloadKey: CodingKeys = container.contains(.data) && !container.contains(.payload) ? .data : .payload
        payloadIsObject = (try? container.nestedContainer(keyedBy: AnyKey.self, forKey: payloadKey)) != nil
        if !payloadIsObject, !container.contains(payloadKey) {
            throw DecodingError.keyNotFound(
                CodingKeys.payload,
                .init(codingPath: decoder.codingPath, debugDescription: "payload is required")
            )
        }
        eventId = try container.decodeIfPresent(String.self, forKey: .eventId)
        channels = try container.decodeIfPresent([String].self, forKey: .channels)
        payloadRetentionPeriod = try container.decodeIfPresent(Int.self, forKey: .payloadRetentionPeriod)
        application = try container.decodeIfPresent(ApplicationIn.self, forKey: .application)
    }

    /// Decodes a body, reading a plain one (`JSONObjectScanner`) by hand and anything else with `JSONDecoder`.
    static func decode(_ body: ByteBuffer, bytes: [UInt8]) throws -> MessageIn {
        try RequestDecoding.checkStrict(bytes)
        if let members = JSONObjectScanner.members(of: bytes), let input = MessageIn(plain: members, in: bytes) {
            return input
        }
        return try RequestDecoding.decodeChecked(MessageIn.self, from: body)
    }

    /// The fields of a plain body, or nil when one is not a plain value of its type (an escape in a string, `application`,
    /// a payload that is not an object): those bodies go to `JSONDecoder`, whose answers (and errors) stand.
    init?(plain members: [JSONObjectScanner.Member], in bytes: [UInt8]) {
        func text(_ key: String) -> ArraySlice<UInt8>? {
            members.first { $0.key == key }.map { bytes[$0.value] }
        }
        func value(_ key: String) -> ArraySlice<UInt8>? {
            text(key).flatMap { $0.elementsEqual("null".utf8) ? nil : $0 }
        }
        guard let eventTypeText = value("eventType"), let eventType = JSONObjectScanner.plainString(eventTypeText) else { return nil }
        // `data` stands for the payload only when `payload` is absent (even a null `payload` is the one used).
        guard value("application") == nil, let payload = text("payload") ?? text("data"), payload.first == UInt8(ascii: "{") else {
            return nil
        }
        self.eventType = eventType
        self.payloadIsObject = true
        self.payloadBytes = Array(payload)
        self.application = nil
        if let text = value("eventId") {
            guard let eventId = JSONObjectScanner.plainString(text) else { return nil }
            self.eventId = eventId
        }
        if let text = value("channels") {
            guard let channels = JSONObjectScanner.plainStrings(text) else { return nil }
            self.channels = channels
        }
        if let text = value("payloadRetentionPeriod") {
            guard let days = JSONObjectScanner.plainInteger(text) else { return nil }
            self.payloadRetentionPeriod = days
        }
    }

    /// Retention bounds of the Svix server, in days.
    static let retentionDays = 5...90

    func validate() throws {
        var issues = FieldRules.checkEventTypeName(eventType, loc: ["body", "eventType"])
        if !payloadIsObject {
            issues.append(ValidationIssue(loc: ["body", "payload"], msg: "Payload must be an object."))
        }
        if let eventId { issues += FieldRules.checkUID(eventId, prefix: .message, loc: ["body", "eventId"]) }
        if let channels { issues += FieldRules.checkChannels(channels, maxCount: 5, loc: ["body", "channels"]) }
        if let days = payloadRetentionPeriod, !Self.retentionDays.contains(days) {
            issues.append(ValidationIssue(loc: ["body", "payloadRetentionPeriod"], msg: "must be between 5 and 90 days"))
        }
        if !issues.isEmpty { throw HeraldError.validation(issues) }
    }

    /// The payload's bytes as they appear in `body`.
    func rawPayload(in body: [UInt8]) -> [UInt8]? {
        payloadBytes ?? (RawJSON.member("payload", in: body) ?? RawJSON.member("data", in: body)).map(Array.init)
    }
}

/// `MessageOut`. `payload` is always present: `{}` when content was not asked for or has been expunged. Written by
/// hand so the stored payload goes out as its bytes, never parsed and encoded again.
struct MessageOut: JSONWritable {
    var id: String
    var eventType: String
    var eventId: String?
    var channels: [String]?
    /// JSON text.
    var payload: [UInt8]
    var timestamp: Timestamp
    /// For a message received from a source (a Herald extension): the source, content type and sender's headers, and
    /// whether `payload` is the body as received (a JSON object) or a wrapping of it.
    var inbound: InboundEnvelope?

    init(_ message: Message, withContent: Bool, now: Timestamp = .now()) {
        id = message.id
        eventType = message.eventType
        eventId = message.eventID
        channels = message.channels
        timestamp = message.createdAt
        inbound = message.inbound
        payload =
            if !withContent { Array("{}".utf8) } else if message.payloadExpiresAt <= now { Array(#"{"expired":true}"#.utf8) } else {
                message.payloadAsJSON ?? Array("{}".utf8)
            }
    }

    func write(to writer: inout JSONWriter) {
        writer.raw("{")
        writer.key("id", first: true)
        writer.string(id)
        writer.key("eventType")
        writer.string(eventType)
        if let eventId {
            writer.key("eventId")
            writer.string(eventId)
        }
        if let channels {
            writer.key("channels")
            writer.strings(channels)
        }
        writer.key("payload")
        writer.raw(payload)
        writer.key("timestamp")
        writer.string(timestamp.description)
        if let inbound {
            writer.key("inbound")
            writer.raw(Array(inbound.storedJSON.utf8))
        }
        writer.raw("}")
    }

    /// The payload as a value, for the responses that are encoded by `JSONEncoder`.
    static func payload(of message: Message, withContent: Bool, now: Timestamp) -> JSONValue {
        guard withContent else { return .object([:]) }
        if message.payloadExpiresAt <= now { return .object(["expired": .bool(true)]) }
        guard let bytes = message.payloadAsJSON, let value = JSONValue(parsing: bytes) else { return .object([:]) }
        return value
    }
}

/// Any key: lets a decoder check that a value is an object without decoding it.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}
