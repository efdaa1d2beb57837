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
    /// Names a source may not add to what it forwards (`forwardHeaders`): besides `refusedHeaders`, what proxies and
    /// clouds set or trust (identity, method and URL overrides, client addresses) and what Herald itself signs with.
    public static func mayForward(_ name: String) -> Bool {
        let lowered = name.lowercased()
        let refusedNames: Set<String> = [
            "x-http-method-override", "x-http-method", "x-method-override", "x-original-url", "x-rewrite-url", "x-client-ip",
            "true-client-ip", "cf-connecting-ip", "x-cluster-client-ip", "x-forwarded-server", "via", "x-remote-user",
            "x-remote-addr", "x-original-forwarded-for", "proxy-authenticate", "www-authenticate",
        ]
        let refusedPrefixes = [
            "x-forwarded-", "x-auth-request-", "x-webauth-", "x-amz-", "x-amzn-", "x-google", "x-goog-", "x-gfe", "x-azure-",
            "x-fd-", "x-svix-", "svix-", "webhook-", "cf-access-", "x-envoy-", "x-ms-client-principal",
        ]
        return !refusedHeaders.contains(lowered) && !refusedNames.contains(lowered) && !refusedPrefixes.contains(where: lowered.hasPrefix)
    }

    /// Bounds on what is kept, so a request cannot make a stored message (or every delivery of it) huge.
    public static let maxHeaders = 64
    public static let maxHeaderBytes = 16 * 1024

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sourceID = try container.decode(String.self, forKey: .sourceID)
        contentType = try container.decode(String.self, forKey: .contentType)
        headers = try container.decode([Header].self, forKey: .headers)
        // Unknown before it was stored (development builds of 0.2): shown wrapped, which is always valid JSON.
        payloadIsBody = try container.decodeIfPresent(Bool.self, forKey: .payloadIsBody) ?? false
    }

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
        var names: Set<String> = []
        var bytes = 0
        // The first of a repeated header only: the one verification read.
        for field in headers.fields where selection.keeps(field.name) && !Self.refusedHeaders.contains(field.name) {
            guard names.insert(field.name).inserted else { continue }
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
    /// The sender's headers a message of a request with `headers` keeps: its user agent, its scheme's own headers
    /// (signature, event name, ids), and the ones the source names in `forwardHeaders`.
    public func senderHeaders(of headers: InboundHeaders? = nil) -> SenderHeaders {
        var selection: SenderHeaders
        switch verification {
        case .stripe: selection = SenderHeaders(names: ["stripe-signature"])
        case .github: selection = SenderHeaders(names: ["x-hub-signature-256", "x-hub-signature"], prefixes: ["x-github-"])
        case .shopify: selection = SenderHeaders(names: [], prefixes: ["x-shopify-"])
        case .standardWebhooks:
            // The set verification read (`webhook-*`, else Svix's names), not both.
            let prefix = headers.flatMap { $0["webhook-signature"] } == nil ? "svix-" : "webhook-"
            selection = SenderHeaders(names: [prefix + "id", prefix + "timestamp", prefix + "signature"])
        case .hmacSHA256(_, let header, _, _): selection = SenderHeaders(names: [header.lowercased()])
        case .basic, .none: selection = SenderHeaders(names: [])
        }
        selection.names.insert("user-agent")
        for name in mapping.forwardHeaders ?? [] { selection.names.insert(name.lowercased()) }
        return selection
    }
}
