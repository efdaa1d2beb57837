/// A place webhooks from another sender (Stripe, GitHub, Shopify, any Standard Webhooks sender) come in: a public
/// ingest URL whose requests are verified, then stored as messages of its application and delivered to its endpoints.
public struct Source: Sendable, Hashable {
    public var id: String
    public var appID: String
    public var uid: String?
    public var name: String
    /// How a request proves it comes from the sender; holds the sender's secret.
    public var verification: SourceVerification
    /// Where a message's event type and event id come from, beside the scheme's own rules.
    public var mapping: SourceMapping
    /// The secret part of the ingest URL (`/ingest/{token}`). Looked up by its hash, stored sealed.
    public var token: String
    /// Requests per second the ingest URL accepts (a burst of twice that); more get 429.
    public var rateLimit: Int
    public var disabled: Bool
    public var metadata: [String: String]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// What its ingest URL received so far (kept by the store, never written through `updateSource`).
    public var traffic = SourceTraffic()

    /// Requests per second a source accepts unless it sets its own.
    public static let defaultRateLimit = 100

    public init(
        id: String,
        appID: String,
        uid: String?,
        name: String,
        verification: SourceVerification,
        mapping: SourceMapping = SourceMapping(),
        token: String,
        rateLimit: Int = Source.defaultRateLimit,
        disabled: Bool = false,
        metadata: [String: String] = [:],
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.appID = appID
        self.uid = uid
        self.name = name
        self.verification = verification
        self.mapping = mapping
        self.token = token
        self.rateLimit = rateLimit
        self.disabled = disabled
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A source's verification scheme, each exactly as its sender documents it (see `SourceVerifier`).
public enum SourceVerification: Sendable, Hashable, Codable {
    /// `webhook-id`/`webhook-timestamp`/`webhook-signature` (or `svix-*`), `whsec_`/`whpk_` keys.
    case standardWebhooks(secret: String)
    /// `Stripe-Signature: t=…,v1=…`, hex HMAC-SHA256 of `t.body` with the `whsec_…` secret as raw text.
    case stripe(secret: String, toleranceSeconds: Int)
    /// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
    case github(secret: String)
    /// `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>`.
    case shopify(secret: String)
    /// Any sender signing the body alone with HMAC-SHA256 into one header.
    case hmacSHA256(secret: String, header: String, encoding: SignatureEncoding, prefix: String)
    /// HTTP basic authentication.
    case basic(username: String, password: String)
    /// No proof at all: anyone who knows the URL can post. For senders that cannot sign, behind other protection.
    case none

    public enum SignatureEncoding: String, Sendable, Hashable, Codable {
        case hex, base64
    }

    /// Stripe's own default.
    public static let stripeDefaultTolerance = 300

    /// The scheme's name in the API.
    public var type: String {
        switch self {
        case .standardWebhooks: "standard-webhooks"
        case .stripe: "stripe"
        case .github: "github"
        case .shopify: "shopify"
        case .hmacSHA256: "hmac-sha256"
        case .basic: "basic"
        case .none: "none"
        }
    }
}

/// Where an inbound message's event type and event id come from when the scheme does not say (or to override it).
public struct SourceMapping: Sendable, Hashable, Codable {
    /// A field of the JSON body (dotted path) or a request header naming the event type; nil: the scheme's default.
    public var eventType: SourceField?
    /// A field of the JSON body or a header holding the sender's event id (dedupes the sender's retries).
    public var eventID: SourceField?
    /// Further sender headers to keep and forward, beyond the scheme's own (`Source.senderHeaders`).
    public var forwardHeaders: [String]?

    public init(eventType: SourceField? = nil, eventID: SourceField? = nil, forwardHeaders: [String]? = nil) {
        self.eventType = eventType
        self.eventID = eventID
        self.forwardHeaders = forwardHeaders
    }
}

/// One value of an inbound request.
public enum SourceField: Sendable, Hashable, Codable {
    /// A dotted path into the JSON body (`data.object.type`).
    case jsonPath(String)
    /// A request header (any case).
    case header(String)
    /// A fixed value.
    case constant(String)
}

/// Counts of what a source's ingest URL received: every request, those stored, the sender's retries of stored events,
/// and those refused (unknown token aside), with the last refusal's reason. Counted in memory by each instance and
/// added to the store every few seconds (`SourceTrafficMeter`).
public struct SourceTraffic: Sendable, Hashable, Codable {
    public var received: Int64 = 0
    public var accepted: Int64 = 0
    public var duplicates: Int64 = 0
    public var rejected: Int64 = 0
    public var lastRejection: String?
    public var lastRejectedAt: Timestamp?
    /// The latest refusals, newest last (at most `sampleLimit`), for an operator looking into why a sender fails.
    public var recentRejections: [RejectionSample] = []

    public static let sampleLimit = 5

    /// One refused request, as much of it as helps find why (never its body or signature).
    public struct RejectionSample: Sendable, Hashable, Codable {
        public var at: Timestamp
        public var reason: String
        public var userAgent: String?
        public var contentLength: Int?

        public init(at: Timestamp, reason: String, userAgent: String?, contentLength: Int?) {
            self.at = at
            self.reason = reason
            self.userAgent = userAgent
            self.contentLength = contentLength
        }
    }

    public init() {}

    public var isEmpty: Bool { received == 0 && accepted == 0 && duplicates == 0 && rejected == 0 }

    /// `other` added to this (its last refusal wins when it has one).
    public mutating func add(_ other: SourceTraffic) {
        received = received.addingClamped(other.received)
        accepted = accepted.addingClamped(other.accepted)
        duplicates = duplicates.addingClamped(other.duplicates)
        rejected = rejected.addingClamped(other.rejected)
        if let reason = other.lastRejection {
            lastRejection = reason
            lastRejectedAt = other.lastRejectedAt
        }
        recentRejections = Array((recentRejections + other.recentRejections).suffix(Self.sampleLimit))
    }
}

/// A source's traffic as the live views list it.
public struct SourceTrafficRow: Sendable, Hashable {
    public var sourceID: String
    public var appID: String
    public var name: String
    public var disabled: Bool
    public var traffic: SourceTraffic

    public init(sourceID: String, appID: String, name: String, disabled: Bool, traffic: SourceTraffic) {
        self.sourceID = sourceID
        self.appID = appID
        self.name = name
        self.disabled = disabled
        self.traffic = traffic
    }
}

extension Int64 {
    fileprivate func addingClamped(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
