import HeraldCore

/// `EndpointPolicyIn`: the whole policy, read strictly (an unknown or misspelt field is a 422, not ignored: a policy
/// that silently drops a field would deliver differently than its author believes).
struct EndpointPolicyIn: Sendable {
    var policy: EndpointPolicy

    static let fields: Set<String> = ["retrySchedule", "timeoutSeconds", "filter"]

    init(_ body: JSONValue) throws {
        guard case .object(let fields) = body else { throw HeraldError.validation(loc: ["body"], "must be an object") }
        var issues: [ValidationIssue] = []
        for key in fields.keys.sorted() where !Self.fields.contains(key) {
            issues.append(
                ValidationIssue(loc: ["body", key], msg: "unknown field; a policy has retrySchedule, timeoutSeconds and filter")
            )
        }
        policy = EndpointPolicy()
        switch fields["retrySchedule"] {
        case nil, .null?: break
        case .array(let items)?:
            var schedule: [Double] = []
            for (index, item) in items.enumerated() {
                switch item {
                case .integer(let seconds): schedule.append(Double(seconds))
                case .double(let seconds): schedule.append(seconds)
                default: issues.append(ValidationIssue(loc: ["body", "retrySchedule", String(index)], msg: "expected a number"))
                }
            }
            policy.retrySchedule = schedule
        default: issues.append(ValidationIssue(loc: ["body", "retrySchedule"], msg: "expected an array of seconds"))
        }
        switch fields["timeoutSeconds"] {
        case nil, .null?: break
        case .integer(let seconds)?: policy.timeoutSeconds = Int(clamping: seconds)
        default: issues.append(ValidationIssue(loc: ["body", "timeoutSeconds"], msg: "expected whole seconds"))
        }
        switch fields["filter"] {
        case nil, .null?: break
        case let filter?: policy.filter = filter
        }
        issues += policy.issues(at: ["body"])
        // The first 50 say enough; a body of a megabyte's mistakes must not become an answer of several.
        if !issues.isEmpty { throw HeraldError.validation(Array(issues.prefix(50))) }
    }
}

/// `EndpointPolicyOut`: the endpoint's own settings (null where it uses the server's) and the server's, so a reader
/// sees what applies.
struct EndpointPolicyOut: Encodable {
    struct ServerDefaults: Encodable {
        var retrySchedule: [Double]
        var timeoutSeconds: Int
    }

    var retrySchedule: [Double]?
    var timeoutSeconds: Int?
    var filter: JSONValue?
    var serverDefaults: ServerDefaults

    init(_ policy: EndpointPolicy, settings: APISettings) {
        retrySchedule = policy.retrySchedule
        timeoutSeconds = policy.timeoutSeconds
        filter = policy.filter
        serverDefaults = ServerDefaults(retrySchedule: settings.retrySchedule, timeoutSeconds: settings.requestTimeoutSeconds)
    }

    func encode(to encoder: any Encoder) throws {
        // Unset fields are written as null, not left out: the shape is the same whatever is set.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(retrySchedule, forKey: .retrySchedule)
        try container.encode(timeoutSeconds, forKey: .timeoutSeconds)
        try container.encode(filter, forKey: .filter)
        try container.encode(serverDefaults, forKey: .serverDefaults)
    }

    enum CodingKeys: String, CodingKey {
        case retrySchedule, timeoutSeconds, filter, serverDefaults
    }
}
