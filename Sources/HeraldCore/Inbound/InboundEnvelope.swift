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
    /// Whether the body is a JSON object (strict), so the API shows it as the payload itself; judged once, at ingest.
    public var payloadIsBody: Bool

    enum CodingKeys: String, CodingKey {
        case sourceID = "sourceId"
        case contentType, headers, payloadIsBody
    }

    /// Headers that describe the connection, carry credentials or are set by proxies: never kept nor forwarded, even
    /// when a source names them.
    public static let refusedHeaders: Set<String> = [
        "host", "content-length", "content-type", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-connection", "authorization", "cookie", "expect", "accept-encoding", "content-encoding",
        "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-prefix",
        "x-forwarded-user", "x-real-ip", "traceparent", "tracestate",
    ]
    /// Bounds on what is kept, so a request cannot make a stored message (or every delivery of it) huge.
    public static let maxHeaders = 64
    public static let maxHeaderBytes = 16 * 1024

    public init(sourceID: String, contentType: String, headers: [Header], payloadIsBody: Bool) {
        self.sourceID = sourceID
        self.contentType = contentType
        self.headers = headers
        self.payloadIsBody = payloadIsBody
    }

    /// Whether `body` is a strict JSON object.
    public static func isJSONObject(_ body: [UInt8]) -> Bool {
        body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") && StrictJSON.validate(body) == nil
    }

    /// The envelope of a request: its content type (JSON when it names none) and the sender's headers `selection`
    /// keeps — the scheme's own and those the source names, never others: a header a receiver behind a proxy trusts
    /// (`X-Forwarded-User`, `X-HTTP-Method-Override`…) must not pass from the internet to it. Within the bounds (the rest
    /// are left out, not refused: the sender's retry would fail the same way).
    public init(sourceID: String, headers: InboundHeaders, keeping selection: SenderHeaders, body: [UInt8]) {
        var kept: [Header] = []
        var bytes = 0
        for field in headers.fields where selection.keeps(field.name) && !Self.refusedHeaders.contains(field.name) {
            let size = field.name.utf8.count + field.value.utf8.count
            guard kept.count < Self.maxHeaders, bytes + size <= Self.maxHeaderBytes else { continue }
            bytes += size
            kept.append(field)
        }
        self.init(
            sourceID: sourceID,
            contentType: headers["content-type"] ?? "application/json",
            headers: kept,
            payloadIsBody: Self.isJSONObject(body)
        )
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
    /// is a JSON object, or else wrapped as `{"contentType", "body"}` (printable UTF-8 text) or `{"contentType",
    /// "bodyBase64"}`, so that every message reads as JSON whatever its sender posted. Nil when there is no payload.
    public var payloadAsJSON: [UInt8]? {
        guard let payload else { return nil }
        guard let inbound, !payloadIsBody else { return payload }
        var wrapped: [String: String] = ["contentType": inbound.contentType]
        // Control characters would each become a six-byte escape: such a body goes as base64 (a third larger) instead.
        if payload.allSatisfy({ $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }), let text = String(validating: payload, as: UTF8.self) {
            wrapped["body"] = text
        } else {
            wrapped["bodyBase64"] = Data(payload).base64EncodedString()
        }
        return Array(JSONColumn.encode(wrapped).utf8)
    }

    /// Whether `payloadAsJSON` is the received body itself (a JSON object), not a wrapping of it.
    public var payloadIsBody: Bool {
        inbound?.payloadIsBody ?? true
    }
}

/// Which of a sender's headers a received message keeps: names and name prefixes, lower-case.
public struct SenderHeaders: Sendable, Hashable {
    public var names: Set<String>
    public var prefixes: [String]

    public init(names: Set<String>, prefixes: [String] = []) {
        self.names = names
        self.prefixes = prefixes
    }

    public func keeps(_ name: String) -> Bool {
        names.contains(name) || prefixes.contains { name.hasPrefix($0) }
    }
}

extension Source {
    /// The sender's headers its messages keep: its user agent, its scheme's own headers (signature, event name, ids),
    /// and the ones the source names in `forwardHeaders`.
    public var senderHeaders: SenderHeaders {
        var selection: SenderHeaders
        switch verification {
        case .stripe: selection = SenderHeaders(names: ["stripe-signature"])
        case .github: selection = SenderHeaders(names: ["x-hub-signature-256", "x-hub-signature"], prefixes: ["x-github-"])
        case .shopify: selection = SenderHeaders(names: [], prefixes: ["x-shopify-"])
        case .standardWebhooks:
            selection = SenderHeaders(names: ["webhook-id", "webhook-timestamp", "webhook-signature", "svix-id", "svix-timestamp", "svix-signature"])
        case .hmacSHA256(_, let header, _, _): selection = SenderHeaders(names: [header.lowercased()])
        case .basic, .none: selection = SenderHeaders(names: [])
        }
        selection.names.insert("user-agent")
        for name in mapping.forwardHeaders ?? [] { selection.names.insert(name.lowercased()) }
        return selection
    }
}
