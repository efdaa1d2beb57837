import HeraldCore

/// The fields of a source as written in create (all) or PATCH (those present; `null` clears `uid`, `eventType`,
/// `eventId`). Read strictly: an unknown field is a 422, since a misspelt verification setting would verify
/// differently than its author believes.
struct SourceFields: Sendable {
    var name: String?
    var uid: String??
    var verification: SourceVerification?
    var eventType: SourceField??
    var eventID: SourceField??
    var rateLimit: Int?
    var disabled: Bool?
    var metadata: [String: String]?
    var forwardHeaders: [String]??

    static let fields: Set<String> = [
        "name", "uid", "verification", "eventType", "eventId", "rateLimit", "disabled", "metadata", "forwardHeaders",
    ]
    static let maxForwardHeaders = 32
    static let rateLimitRange = 1...10_000
    static let maxSecretLength = 1024

    init(_ body: JSONValue) throws {
        guard case .object(let fields) = body else { throw HeraldError.validation(loc: ["body"], "must be an object") }
        var issues: [ValidationIssue] = []
        for key in fields.keys.sorted() where !Self.fields.contains(key) {
            issues.append(ValidationIssue(loc: ["body", key], msg: "unknown field"))
        }
        switch fields["name"] {
        case nil: break
        case .string(let name)?:
            issues += FieldRules.checkNonEmpty(name, loc: ["body", "name"])
            self.name = name
        default: issues.append(ValidationIssue(loc: ["body", "name"], msg: "expected a string"))
        }
        switch fields["uid"] {
        case nil: break
        case .null?: uid = .some(nil)
        case .string(let uid)?:
            issues += FieldRules.checkUID(uid, prefix: .source, loc: ["body", "uid"])
            self.uid = uid
        default: issues.append(ValidationIssue(loc: ["body", "uid"], msg: "expected a string"))
        }
        if let verification = fields["verification"] {
            self.verification = Self.verification(verification, issues: &issues)
        }
        for (key, path) in [("eventType", \SourceFields.eventType), ("eventId", \.eventID)] {
            switch fields[key] {
            case nil: break
            case .null?: self[keyPath: path] = .some(nil)
            case let value?: self[keyPath: path] = Self.field(value, loc: ["body", key], issues: &issues)
            }
        }
        switch fields["rateLimit"] {
        case nil, .null?: break
        case .integer(let rate)? where Self.rateLimitRange.contains(Int(clamping: rate)): rateLimit = Int(clamping: rate)
        default: issues.append(ValidationIssue(loc: ["body", "rateLimit"], msg: "must be requests per second from 1 to 10000"))
        }
        switch fields["forwardHeaders"] {
        case nil: break
        case .null?: forwardHeaders = .some(nil)
        case .array(let items)? where items.count <= Self.maxForwardHeaders:
            var names: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let name) = item, !name.isEmpty, name.utf8.count <= 128, name.utf8.allSatisfy(Self.isTokenByte),
                    InboundEnvelope.mayForward(name)
                else {
                    issues.append(
                        ValidationIssue(
                            loc: ["body", "forwardHeaders", String(index)],
                            msg: "must be a header name other than the connection's, credentials', proxies' and signatures'"
                        )
                    )
                    continue
                }
                names.append(name.lowercased())
            }
            forwardHeaders = names
        default:
            issues.append(ValidationIssue(loc: ["body", "forwardHeaders"], msg: "expected at most \(Self.maxForwardHeaders) header names"))
        }
        switch fields["disabled"] {
        case nil, .null?: break
        case .bool(let disabled)?: self.disabled = disabled
        default: issues.append(ValidationIssue(loc: ["body", "disabled"], msg: "expected true or false"))
        }
        switch fields["metadata"] {
        case nil, .null?: break
        case .object(let members)?:
            var metadata: [String: String] = [:]
            for (key, value) in members {
                guard case .string(let text) = value else {
                    issues.append(ValidationIssue(loc: ["body", "metadata", key], msg: "expected a string"))
                    continue
                }
                metadata[key] = text
            }
            issues += FieldRules.checkMetadata(metadata, loc: ["body", "metadata"])
            self.metadata = metadata
        default: issues.append(ValidationIssue(loc: ["body", "metadata"], msg: "expected an object of strings"))
        }
        if !issues.isEmpty { throw HeraldError.validation(Array(issues.prefix(50))) }
    }

    /// `{"type": …, "secret": …, …}`: the scheme's own settings, each checked.
    private static func verification(_ value: JSONValue, issues: inout [ValidationIssue]) -> SourceVerification? {
        let loc = ["body", "verification"]
        guard case .object(let members) = value, case .string(let type)? = members["type"] else {
            issues.append(ValidationIssue(loc: loc + ["type"], msg: "expected an object with a type"))
            return nil
        }
        let allowed: Set<String> =
            switch type {
            case "standard-webhooks", "github", "shopify": ["type", "secret"]
            case "stripe": ["type", "secret", "toleranceSeconds"]
            case "hmac-sha256": ["type", "secret", "header", "encoding", "prefix"]
            case "basic": ["type", "username", "password"]
            case "none": ["type"]
            default: []
            }
        guard !allowed.isEmpty else {
            issues.append(
                ValidationIssue(
                    loc: loc + ["type"],
                    msg: "must be one of standard-webhooks, stripe, github, shopify, hmac-sha256, basic, none"
                )
            )
            return nil
        }
        for key in members.keys.sorted() where !allowed.contains(key) {
            issues.append(ValidationIssue(loc: loc + [key], msg: "not a setting of \(type)"))
        }
        func text(_ key: String, required: Bool = true, maxLength: Int = maxSecretLength) -> String? {
            switch members[key] {
            case .string(let value)? where !value.isEmpty && value.utf8.count <= maxLength: return value
            case nil where !required: return nil
            default:
                issues.append(ValidationIssue(loc: loc + [key], msg: "must be a string of 1 to \(maxLength) bytes"))
                return nil
            }
        }
        switch type {
        case "standard-webhooks":
            guard let secret = text("secret") else { return nil }
            guard SourceVerifier.isStandardWebhooksKey(secret) else {
                issues.append(ValidationIssue(loc: loc + ["secret"], msg: "must be a whsec_ secret or a whpk_ public key"))
                return nil
            }
            return .standardWebhooks(secret: secret)
        case "stripe":
            let secret = text("secret")
            var tolerance = SourceVerification.stripeDefaultTolerance
            switch members["toleranceSeconds"] {
            case nil, .null?: break
            case .integer(let seconds)? where (1...86_400).contains(seconds): tolerance = Int(seconds)
            default: issues.append(ValidationIssue(loc: loc + ["toleranceSeconds"], msg: "must be whole seconds from 1 to 86400"))
            }
            return secret.map { .stripe(secret: $0, toleranceSeconds: tolerance) }
        case "github": return text("secret").map { .github(secret: $0) }
        case "shopify": return text("secret").map { .shopify(secret: $0) }
        case "hmac-sha256":
            let secret = text("secret")
            let header = text("header", maxLength: 128)
            if let header, !header.utf8.allSatisfy(Self.isTokenByte) {
                issues.append(ValidationIssue(loc: loc + ["header"], msg: "must be a header name"))
            }
            var encoding = SourceVerification.SignatureEncoding.hex
            switch members["encoding"] {
            case nil, .null?: break
            case .string(let name)? where SourceVerification.SignatureEncoding(rawValue: name) != nil:
                encoding = SourceVerification.SignatureEncoding(rawValue: name) ?? .hex
            default: issues.append(ValidationIssue(loc: loc + ["encoding"], msg: "must be hex or base64"))
            }
            let prefix = text("prefix", required: false, maxLength: 64) ?? ""
            guard let secret, let header else { return nil }
            return .hmacSHA256(secret: secret, header: header, encoding: encoding, prefix: prefix)
        case "basic":
            let username = text("username", maxLength: 256)
            let password = text("password")
            if let username, username.contains(":") {
                issues.append(ValidationIssue(loc: loc + ["username"], msg: "must not contain ':'"))
            }
            guard let username, let password else { return nil }
            return .basic(username: username, password: password)
        default:
            return SourceVerification.none
        }
    }

    /// `{"jsonPath": "data.type"}`, `{"header": "X-Event"}` or `{"constant": "payment"}`.
    private static func field(_ value: JSONValue, loc: [String], issues: inout [ValidationIssue]) -> SourceField? {
        guard case .object(let members) = value, members.count == 1, let (kind, setting) = members.first,
            case .string(let text) = setting, !text.isEmpty, text.utf8.count <= 256
        else {
            issues.append(ValidationIssue(loc: loc, msg: "expected one of {\"jsonPath\": …}, {\"header\": …}, {\"constant\": …} with 1 to 256 bytes"))
            return nil
        }
        switch kind {
        case "jsonPath": return .jsonPath(text)
        case "header" where text.utf8.allSatisfy(isTokenByte): return .header(text)
        case "constant": return .constant(text)
        default:
            issues.append(ValidationIssue(loc: loc + [kind], msg: "expected jsonPath, header (a header name) or constant"))
            return nil
        }
    }

    /// RFC 9110 token characters: what a header name may hold.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Applies the fields present to `source`.
    func apply(to source: inout Source) {
        if let name { source.name = name }
        if let uid { source.uid = uid }
        if let verification { source.verification = verification }
        if let eventType { source.mapping.eventType = eventType }
        if let eventID { source.mapping.eventID = eventID }
        if let rateLimit { source.rateLimit = rateLimit }
        if let disabled { source.disabled = disabled }
        if let metadata { source.metadata = metadata }
        if let forwardHeaders { source.mapping.forwardHeaders = forwardHeaders }
    }
}

/// `SourceOut`: a source without its secrets (the verification's type and public settings only), with its ingest URL.
struct SourceOut: Encodable {
    struct VerificationOut: Encodable {
        var type: String
        var toleranceSeconds: Int?
        var header: String?
        var encoding: String?
        var prefix: String?
        var username: String?
    }

    var id: String
    var uid: String?
    var name: String
    var verification: VerificationOut
    var eventType: SourceField?
    var eventId: SourceField?
    var forwardHeaders: [String]
    var rateLimit: Int
    var disabled: Bool
    var metadata: [String: String]
    var ingestUrl: String
    var traffic: SourceTraffic
    var createdAt: Timestamp
    var updatedAt: Timestamp

    init(_ source: Source, publicURL: String) {
        id = source.id
        uid = source.uid
        name = source.name
        var verification = VerificationOut(type: source.verification.type)
        switch source.verification {
        case .stripe(_, let tolerance): verification.toleranceSeconds = tolerance
        case .hmacSHA256(_, let header, let encoding, let prefix):
            verification.header = header
            verification.encoding = encoding.rawValue
            verification.prefix = prefix
        case .basic(let username, _): verification.username = username
        case .standardWebhooks, .github, .shopify, .none: break
        }
        self.verification = verification
        eventType = source.mapping.eventType
        eventId = source.mapping.eventID
        forwardHeaders = source.mapping.forwardHeaders ?? []
        rateLimit = source.rateLimit
        disabled = source.disabled
        metadata = source.metadata
        ingestUrl = Self.trimmedBase(publicURL) + "/ingest/" + source.token
        traffic = source.traffic
        createdAt = source.createdAt
        updatedAt = source.updatedAt
    }

    private static func trimmedBase(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    func encode(to encoder: any Encoder) throws {
        // Unset fields are written as null, not left out: the shape is the same whatever is set.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(uid, forKey: .uid)
        try container.encode(name, forKey: .name)
        try container.encode(verification, forKey: .verification)
        try container.encode(eventType.map(Self.fieldObject), forKey: .eventType)
        try container.encode(eventId.map(Self.fieldObject), forKey: .eventId)
        try container.encode(forwardHeaders, forKey: .forwardHeaders)
        try container.encode(rateLimit, forKey: .rateLimit)
        try container.encode(disabled, forKey: .disabled)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(ingestUrl, forKey: .ingestUrl)
        var counts = container.nestedContainer(keyedBy: TrafficKeys.self, forKey: .traffic)
        try counts.encode(traffic.received, forKey: .received)
        try counts.encode(traffic.accepted, forKey: .accepted)
        try counts.encode(traffic.duplicates, forKey: .duplicates)
        try counts.encode(traffic.rejected, forKey: .rejected)
        try counts.encode(traffic.lastRejection, forKey: .lastRejection)
        try counts.encode(traffic.lastRejectedAt, forKey: .lastRejectedAt)
        try counts.encode(traffic.recentRejections, forKey: .recentRejections)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    static func fieldObject(_ field: SourceField) -> [String: String] {
        switch field {
        case .jsonPath(let path): ["jsonPath": path]
        case .header(let name): ["header": name]
        case .constant(let value): ["constant": value]
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, uid, name, verification, eventType, eventId, forwardHeaders, rateLimit, disabled, metadata, ingestUrl, traffic, createdAt
        case updatedAt
    }

    enum TrafficKeys: String, CodingKey {
        case received, accepted, duplicates, rejected, lastRejection, lastRejectedAt, recentRejections
    }
}
