import HeraldCore

/// `EndpointIn` (create) and `EndpointUpdate` (PUT, where `secret` is ignored).
struct EndpointIn: Decodable, Sendable {
    var url: String
    var description: String?
    var uid: String?
    var disabled: Bool?
    var eventTypes: [String]?
    var channels: [String]?
    var secret: String?
    var throttleRate: Int?
    var metadata: [String: String]?
    /// Cloud field some SDKs send; Herald applies it rather than dropping it.
    var headers: [String: String]?

    enum CodingKeys: String, CodingKey {
        case url, description, uid, disabled, eventTypes, filterTypes, channels, secret, throttleRate, rateLimit, metadata
        case headers
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        uid = try container.decodeIfPresent(String.self, forKey: .uid)
        disabled = try container.decodeIfPresent(Bool.self, forKey: .disabled)
        eventTypes =
            try container.decodeIfPresent([String].self, forKey: .eventTypes)
            ?? container.decodeIfPresent([String].self, forKey: .filterTypes)
        channels = try container.decodeIfPresent([String].self, forKey: .channels)
        secret = try container.decodeIfPresent(String.self, forKey: .secret)
        throttleRate =
            try container.decodeIfPresent(Int.self, forKey: .throttleRate)
            ?? container.decodeIfPresent(Int.self, forKey: .rateLimit)
        metadata = try container.decodeIfPresent([String: String].self, forKey: .metadata)
        headers = try container.decodeIfPresent([String: String].self, forKey: .headers)
    }

    /// Checks every field that needs no database; `parsedSecret` is the checked secret, if one was given.
    func validate(_ settings: APISettings, acceptSecret: Bool) throws -> EndpointSecret? {
        var issues = EndpointURL.check(url, httpsOnly: settings.httpsOnly, policy: settings.destinationPolicy, loc: ["body", "url"])
        if let uid { issues += FieldRules.checkUID(uid, prefix: .endpoint, loc: ["body", "uid"]) }
        if let description, description.utf8.count > 4096 {
            issues.append(ValidationIssue(loc: ["body", "description"], msg: "must be at most 4096 bytes"))
        }
        if let eventTypes { issues += EndpointFilters.checkEventTypes(eventTypes, maxCount: settings.limits.maxEventTypesPerEndpoint) }
        if let channels { issues += FieldRules.checkChannels(channels, maxCount: 10, loc: ["body", "channels"]) }
        if let throttleRate { issues += FieldRules.checkThrottleRate(throttleRate, loc: ["body", "throttleRate"]) }
        if let metadata { issues += FieldRules.checkMetadata(metadata, loc: ["body", "metadata"]) }
        if let headers { issues += EndpointHeaderRules.check(headers, loc: ["body", "headers"]) }
        var parsed: EndpointSecret?
        if acceptSecret, let secret {
            parsed = EndpointSecret(parsing: secret)
            if parsed == nil {
                issues.append(EndpointFilters.invalidSecretIssue(loc: ["body", "secret"]))
            }
        }
        if !issues.isEmpty { throw HeraldError.validation(issues) }
        return parsed
    }
}

/// `EndpointPatch`: absent fields stay, `null` clears a nullable one.
struct EndpointPatch: Decodable, Sendable {
    var url: Patch<String>
    var description: Patch<String>
    var uid: Patch<String>
    var disabled: Patch<Bool>
    var eventTypes: Patch<[String]>
    var channels: Patch<[String]>
    var throttleRate: Patch<Int>
    var metadata: Patch<[String: String]>

    enum CodingKeys: String, CodingKey {
        case url, description, uid, disabled, eventTypes, filterTypes, channels, throttleRate, rateLimit, metadata
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decodePatch(String.self, forKey: .url)
        description = try container.decodePatch(String.self, forKey: .description)
        uid = try container.decodePatch(String.self, forKey: .uid)
        disabled = try container.decodePatch(Bool.self, forKey: .disabled)
        let types = try container.decodePatch([String].self, forKey: .eventTypes)
        if case .unchanged = types {
            eventTypes = try container.decodePatch([String].self, forKey: .filterTypes)
        } else {
            eventTypes = types
        }
        channels = try container.decodePatch([String].self, forKey: .channels)
        let throttle = try container.decodePatch(Int.self, forKey: .throttleRate)
        if case .unchanged = throttle {
            throttleRate = try container.decodePatch(Int.self, forKey: .rateLimit)
        } else {
            throttleRate = throttle
        }
        metadata = try container.decodePatch([String: String].self, forKey: .metadata)
    }

    func apply(to endpoint: inout Endpoint, settings: APISettings) throws {
        var issues: [ValidationIssue] = []
        switch url {
        case .clear: issues.append(ValidationIssue(loc: ["body", "url"], msg: "url must not be null"))
        case .set(let value):
            issues += EndpointURL.check(value, httpsOnly: settings.httpsOnly, policy: settings.destinationPolicy, loc: ["body", "url"])
        case .unchanged: break
        }
        if let uid = uid.value { issues += FieldRules.checkUID(uid, prefix: .endpoint, loc: ["body", "uid"]) }
        if let types = eventTypes.value { issues += EndpointFilters.checkEventTypes(types, maxCount: settings.limits.maxEventTypesPerEndpoint) }
        if let channels = channels.value { issues += FieldRules.checkChannels(channels, maxCount: 10, loc: ["body", "channels"]) }
        if let rate = throttleRate.value { issues += FieldRules.checkThrottleRate(rate, loc: ["body", "throttleRate"]) }
        if let metadata = metadata.value { issues += FieldRules.checkMetadata(metadata, loc: ["body", "metadata"]) }
        if !issues.isEmpty { throw HeraldError.validation(issues) }
        endpoint.url = url.value ?? endpoint.url
        endpoint.description = description.applied(to: endpoint.description) ?? ""
        endpoint.uid = uid.applied(to: endpoint.uid)
        endpoint.disabled = disabled.applied(to: endpoint.disabled) ?? false
        endpoint.eventTypes = eventTypes.applied(to: endpoint.eventTypes)
        endpoint.channels = channels.applied(to: endpoint.channels)
        endpoint.throttleRate = throttleRate.applied(to: endpoint.throttleRate)
        endpoint.metadata = metadata.applied(to: endpoint.metadata) ?? [:]
    }
}

/// Checks shared by endpoint create, PUT and PATCH.
enum EndpointFilters {
    static func checkEventTypes(_ names: [String], maxCount: Int) -> [ValidationIssue] {
        let loc = ["body", "eventTypes"]
        if names.isEmpty { return [ValidationIssue(loc: loc, msg: "must have at least 1 item; use null for all event types")] }
        if names.count > maxCount { return [ValidationIssue(loc: loc, msg: "must have at most \(maxCount) items")] }
        if Set(names).count != names.count { return [ValidationIssue(loc: loc, msg: "must not contain duplicates")] }
        return names.enumerated().flatMap { FieldRules.checkEventTypeName($0.element, loc: loc + [String($0.offset)]) }
    }

    static func invalidSecretIssue(loc: [String]) -> ValidationIssue {
        ValidationIssue(
            loc: loc,
            msg: "secret must be whsec_ followed by base64 of 24-64 bytes, or a whsk_ Ed25519 secret key (not a whpk_ public key)"
        )
    }
}

/// `EndpointOut`.
struct EndpointOut: Encodable {
    var id: String
    var uid: String?
    var url: String
    var description: String
    var disabled: Bool
    var eventTypes: [String]?
    var channels: [String]?
    var throttleRate: Int?
    var metadata: [String: String]
    var createdAt: Timestamp
    var updatedAt: Timestamp

    init(_ endpoint: Endpoint) {
        id = endpoint.id
        uid = endpoint.uid
        url = endpoint.url
        description = endpoint.description
        disabled = endpoint.disabled
        eventTypes = endpoint.eventTypes
        channels = endpoint.channels
        throttleRate = endpoint.throttleRate
        metadata = endpoint.metadata
        createdAt = endpoint.createdAt
        updatedAt = endpoint.updatedAt
    }
}

/// `EndpointSecretOut`.
struct EndpointSecretOut: Encodable {
    var key: String
}

/// `EndpointSecretRotateIn`.
struct EndpointSecretRotateIn: Decodable {
    var key: String?
    var gracePeriodSeconds: Int?
}

/// `EndpointHeadersIn`.
struct EndpointHeadersIn: Decodable {
    var headers: [String: String]
}

/// `EndpointHeadersPatchIn`: headers to set or replace; a `null` value (Svix OSS) or a name in `deleteHeaders`
/// (the newer SDKs) deletes that header.
struct EndpointHeadersPatchIn: Decodable {
    var headers: [String: String?]
    var deleteHeaders: [String]?
}

/// `EndpointHeadersOut`: sensitive headers are named, not shown.
struct EndpointHeadersOut: Encodable {
    var headers: [String: String]
    var sensitive: [String]

    init(_ headers: [String: String]) {
        self.headers = headers.filter { !EndpointHeaderRules.isSensitive($0.key) }
        self.sensitive = headers.keys.filter(EndpointHeaderRules.isSensitive).sorted()
    }
}
