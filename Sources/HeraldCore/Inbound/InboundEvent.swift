import Crypto

/// The event type and event id a received request becomes, by its sender's conventions unless the source maps them.
public struct InboundEvent: Sendable, Hashable {
    public var eventType: String
    /// The sender's own id for the event, which its retries and redeliveries repeat: Herald keeps one message per id.
    public var eventID: String?

    /// Used when neither the mapping nor the sender names a type.
    public static let fallbackEventType = "inbound"

    public init(source: Source, body: [UInt8], headers: InboundHeaders) {
        // Parsed whole only when the plain scanner cannot answer (escapes, unusual input), and then once.
        var parsed: JSONValue??
        func read(_ field: SourceField) -> String? {
            switch field {
            case .constant(let value): return value
            case .header(let name):
                // Svix sends its Standard Webhooks headers under its own names.
                let lowered = name.lowercased()
                return headers[lowered] ?? (lowered.hasPrefix("webhook-") ? headers["svix-" + lowered.dropFirst(8)] : nil)
            case .jsonPath(let path):
                switch Self.plainScalar(at: path, in: body) {
                case .found(let value): return value
                case .absent: return nil
                case .unknown: break
                }
                if parsed == nil { parsed = .some(StrictJSON.validate(body) == nil ? JSONValue(parsing: body) : nil) }
                return (parsed ?? nil).flatMap { Self.scalar(at: path, in: $0) }
            }
        }
        let defaults = Self.defaults(for: source.verification)
        let type = (source.mapping.eventType ?? defaults.eventType).flatMap(read)
        eventType = type.flatMap(Self.eventTypeName) ?? Self.fallbackEventType
        eventID = (source.mapping.eventID ?? defaults.eventID).flatMap(read).flatMap(Self.eventIDValue)
    }

    /// Each sender's documented fields: Stripe's event object, GitHub's and Shopify's headers, Standard Webhooks'
    /// `type` and `webhook-id`.
    static func defaults(for verification: SourceVerification) -> (eventType: SourceField?, eventID: SourceField?) {
        switch verification {
        case .stripe: (.jsonPath("type"), .jsonPath("id"))
        case .github: (.header("x-github-event"), .header("x-github-delivery"))
        case .shopify: (.header("x-shopify-topic"), .header("x-shopify-webhook-id"))
        case .standardWebhooks: (.jsonPath("type"), .header("webhook-id"))
        case .hmacSHA256, .basic, .none: (.jsonPath("type"), nil)
        }
    }

    /// A plain string or whole number at a dotted path, read without parsing the whole body (the common case: Stripe's
    /// `type` and `id`); nil when the scanner cannot tell.
    static func plainScalar(at path: String, in body: [UInt8]) -> PlainLookup {
        var document = body
        let keys = path.split(separator: ".", omittingEmptySubsequences: false)
        for (index, key) in keys.enumerated() {
            guard let members = JSONObjectScanner.members(of: document) else { return .unknown }
            // A plain object without the key has no value there: no full parse will find one.
            guard let member = members.first(where: { $0.key == key }) else { return .absent }
            let value = document[member.value]
            if index == keys.count - 1 {
                if let text = JSONObjectScanner.plainString(value) ?? JSONObjectScanner.plainInteger(value).map(String.init) {
                    return .found(text)
                }
                return .unknown
            }
            document = Array(value)
        }
        return .unknown
    }

    /// What the plain scanner could tell of a path.
    enum PlainLookup: Equatable {
        case found(String)
        case absent
        /// Not plain input (escapes, another kind of value): a full parse decides.
        case unknown
    }

    /// A string, number or boolean at a dotted path.
    static func scalar(at path: String, in document: JSONValue) -> String? {
        var value = document
        for key in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let members) = value, let next = members[String(key)] else { return nil }
            value = next
        }
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .bool(let flag): return String(flag)
        default: return nil
        }
    }

    /// A sender's type as an event-type name (`^[a-zA-Z0-9\-_.]+$`, ≤ 256): other characters become `.`, so Shopify's
    /// `orders/create` is `orders.create`.
    static func eventTypeName(_ raw: String) -> String? {
        let mapped = String(
            decoding: raw.utf8.prefix(256).map { FieldRules.isIdentifierLike(String(UnicodeScalar($0))) ? $0 : UInt8(ascii: ".") },
            as: UTF8.self
        )
        return mapped.isEmpty ? nil : mapped
    }

    /// A sender's id as an event id; one that is not a valid event id is kept as its SHA-256, so it still dedupes.
    static func eventIDValue(_ raw: String) -> String? {
        guard !raw.isEmpty else { return nil }
        if FieldRules.checkUID(raw, prefix: .message, loc: []).isEmpty { return raw }
        return "sha256-" + SHA256.hash(data: Array(raw.utf8)).hexString
    }
}
