import HeraldCore

/// `ApplicationIn`: the body of create and PUT.
struct ApplicationIn: Decodable, Sendable {
    var name: String
    var uid: String?
    var throttleRate: Int?
    var metadata: [String: String]?

    enum CodingKeys: String, CodingKey {
        case name, uid, throttleRate, rateLimit, metadata
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        uid = try container.decodeIfPresent(String.self, forKey: .uid)
        throttleRate =
            try container.decodeIfPresent(Int.self, forKey: .throttleRate)
            ?? container.decodeIfPresent(Int.self, forKey: .rateLimit)
        metadata = try container.decodeIfPresent([String: String].self, forKey: .metadata)
    }

    func validate(loc: [String] = ["body"]) throws {
        var issues = FieldRules.checkNonEmpty(name, loc: loc + ["name"])
        if let uid { issues += FieldRules.checkUID(uid, prefix: .application, loc: loc + ["uid"]) }
        if let throttleRate { issues += FieldRules.checkThrottleRate(throttleRate, loc: loc + ["throttleRate"]) }
        if let metadata { issues += FieldRules.checkMetadata(metadata, loc: loc + ["metadata"]) }
        if !issues.isEmpty { throw HeraldError.validation(issues) }
    }
}

/// `ApplicationPatch`: absent fields stay, `null` clears a nullable one.
struct ApplicationPatch: Decodable, Sendable {
    var name: Patch<String>
    var uid: Patch<String>
    var throttleRate: Patch<Int>
    var metadata: Patch<[String: String]>

    enum CodingKeys: String, CodingKey {
        case name, uid, throttleRate, rateLimit, metadata
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodePatch(String.self, forKey: .name)
        uid = try container.decodePatch(String.self, forKey: .uid)
        let throttle = try container.decodePatch(Int.self, forKey: .throttleRate)
        if case .unchanged = throttle {
            throttleRate = try container.decodePatch(Int.self, forKey: .rateLimit)
        } else {
            throttleRate = throttle
        }
        metadata = try container.decodePatch([String: String].self, forKey: .metadata)
    }

    func apply(to application: inout Application) throws {
        var issues: [ValidationIssue] = []
        switch name {
        case .clear: issues.append(ValidationIssue(loc: ["body", "name"], msg: "name must not be null"))
        case .set(let value): issues += FieldRules.checkNonEmpty(value, loc: ["body", "name"])
        case .unchanged: break
        }
        if let uid = uid.value { issues += FieldRules.checkUID(uid, prefix: .application, loc: ["body", "uid"]) }
        if let rate = throttleRate.value { issues += FieldRules.checkThrottleRate(rate, loc: ["body", "throttleRate"]) }
        if let metadata = metadata.value { issues += FieldRules.checkMetadata(metadata, loc: ["body", "metadata"]) }
        if !issues.isEmpty { throw HeraldError.validation(issues) }
        application.name = name.value ?? application.name
        application.uid = uid.applied(to: application.uid)
        application.throttleRate = throttleRate.applied(to: application.throttleRate)
        application.metadata = metadata.applied(to: application.metadata) ?? [:]
    }
}

/// `ApplicationOut`.
struct ApplicationOut: Encodable {
    var id: String
    var uid: String?
    var name: String
    var throttleRate: Int?
    var metadata: [String: String]
    var createdAt: Timestamp
    var updatedAt: Timestamp

    init(_ application: Application) {
        id = application.id
        uid = application.uid
        name = application.name
        throttleRate = application.throttleRate
        metadata = application.metadata
        createdAt = application.createdAt
        updatedAt = application.updatedAt
    }
}
