import Foundation

/// An inbound request's headers, by lower-cased name (a repeated header keeps its first value).
public struct InboundHeaders: Sendable, Hashable {
    /// In the order received, names lower-cased.
    public private(set) var fields: [InboundEnvelope.Header]
    private var firstIndex: [String: Int]

    public init(_ fields: [(name: String, value: String)]) {
        self.fields = []
        self.firstIndex = [:]
        for field in fields {
            let name = field.name.lowercased()
            if firstIndex[name] == nil { firstIndex[name] = self.fields.count }
            self.fields.append(InboundEnvelope.Header(name: name, value: field.value))
        }
    }

    public subscript(name: String) -> String? {
        firstIndex[name].map { fields[$0].value }
    }
}

/// What a message received from a source keeps of the request beside its body: the content type and the sender's
/// headers, forwarded with the body to the application's endpoints so that they see what the sender sent.
public struct InboundEnvelope: Sendable, Hashable, Codable {
    public struct Header: Sendable, Hashable, Codable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var sourceID: String
    public var contentType: String
    public var headers: [Header]

    enum CodingKeys: String, CodingKey {
        case sourceID = "sourceId"
        case contentType, headers
    }

    /// Headers that describe the connection or carry credentials, not the event: never kept nor forwarded.
    static let droppedHeaders: Set<String> = [
        "host", "content-length", "content-type", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-connection", "authorization", "cookie", "expect", "accept-encoding", "content-encoding",
        "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "traceparent", "tracestate",
    ]
    /// Bounds on what is kept, so a request cannot make a stored message (or every delivery of it) huge.
    public static let maxHeaders = 64
    public static let maxHeaderBytes = 16 * 1024

    public init(sourceID: String, contentType: String, headers: [Header]) {
        self.sourceID = sourceID
        self.contentType = contentType
        self.headers = headers
    }

    /// The envelope of a request: its content type (JSON when it names none) and the headers worth forwarding, within
    /// the bounds (the rest are left out, not refused: the sender's retry would fail the same way).
    public init(sourceID: String, headers: InboundHeaders) {
        var kept: [Header] = []
        var bytes = 0
        for field in headers.fields where !Self.droppedHeaders.contains(field.name) {
            let size = field.name.utf8.count + field.value.utf8.count
            guard kept.count < Self.maxHeaders, bytes + size <= Self.maxHeaderBytes else { continue }
            bytes += size
            kept.append(field)
        }
        self.init(sourceID: sourceID, contentType: headers["content-type"] ?? "application/json", headers: kept)
    }

    /// The envelope as stored in a message's `inbound` column.
    public var storedJSON: String { JSONColumn.encode(self) }

    /// The envelope stored in a message's `inbound` column; nil when there is none or it cannot be read (the body is
    /// then still delivered, as JSON).
    public init?(storedJSON: String?) {
        guard let envelope = try? JSONColumn.decode(InboundEnvelope.self, storedJSON) else { return nil }
        self = envelope
    }

    /// Whether the body is meant as JSON (so the API can show it as the message's payload).
    public var isJSON: Bool {
        let media = contentType.split(separator: ";").first.map { String($0).trimmingWhitespace().lowercased() } ?? ""
        return media == "application/json" || media.hasSuffix("+json")
    }
}

extension Message {
    /// The payload as JSON text for the API: a published message's payload as stored; a received one's body when it
    /// is a JSON object, or else wrapped as `{"contentType", "body"}` (UTF-8 text) or `{"contentType", "bodyBase64"}`,
    /// so that every message reads as JSON whatever its sender posted. Nil when there is no payload.
    public var payloadAsJSON: [UInt8]? {
        guard let payload else { return nil }
        guard let inbound, !payloadIsBody else { return payload }
        var wrapped: [String: String] = ["contentType": inbound.contentType]
        if let text = String(validating: payload, as: UTF8.self) {
            wrapped["body"] = text
        } else {
            wrapped["bodyBase64"] = Data(payload).base64EncodedString()
        }
        return Array(JSONColumn.encode(wrapped).utf8)
    }

    /// Whether `payloadAsJSON` is the received body itself (a JSON object), not a wrapping of it.
    public var payloadIsBody: Bool {
        guard let payload, inbound != nil else { return true }
        return payload.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{")
            && StrictJSON.validate(payload) == nil
    }
}
