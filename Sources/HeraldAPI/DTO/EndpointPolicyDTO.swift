import HeraldCore

/// `EndpointPolicyIn`: the whole policy, read strictly (an unknown or misspelt field is a 422, not ignored: a policy
/// that silently drops a field would deliver differently than its author believes).
struct EndpointPolicyIn: Sendable {
    var policy: EndpointPolicy

    static let fields: Set<String> = ["retrySchedule", "timeoutSeconds", "filter", "circuitBreaker", "ordering", "signInbound"]
    static let breakerFields: Set<String> = ["enabled", "failureThreshold", "cooldownSeconds"]

    init(_ body: JSONValue) throws {
        guard case .object(let fields) = body else { throw HeraldError.validation(loc: ["body"], "must be an object") }
        var issues: [ValidationIssue] = []
        for key in fields.keys.sorted() where !Self.fields.contains(key) {
            issues.append(
                ValidationIssue(
                    loc: ["body", key],
                    msg: "unknown field; a policy has retrySchedule, timeoutSeconds, filter, circuitBreaker, ordering and signInbound"
                )
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
        switch fields["ordering"] {
        case nil, .null?: break
        case .string(let ordering)? where DeliveryOrdering(rawValue: ordering) != nil: policy.ordering = DeliveryOrdering(rawValue: ordering)
        default: issues.append(ValidationIssue(loc: ["body", "ordering"], msg: "expected \"fifo\" or null"))
        }
        switch fields["signInbound"] {
        case nil, .null?: break
        case .bool(let sign)?: policy.signInbound = sign
        default: issues.append(ValidationIssue(loc: ["body", "signInbound"], msg: "expected true or false"))
        }
        switch fields["circuitBreaker"] {
        case nil, .null?: break
        case .object(let breaker)?: policy.circuitBreaker = Self.breaker(breaker, issues: &issues)
        default: issues.append(ValidationIssue(loc: ["body", "circuitBreaker"], msg: "expected an object"))
        }
        issues += policy.issues(at: ["body"])
        // The first 50 say enough; a body of a megabyte's mistakes must not become an answer of several.
        if !issues.isEmpty { throw HeraldError.validation(Array(issues.prefix(50))) }
    }

    /// A breaker as written: a field left out keeps its default.
    private static func breaker(_ fields: [String: JSONValue], issues: inout [ValidationIssue]) -> CircuitBreakerPolicy {
        let loc = ["body", "circuitBreaker"]
        var breaker = CircuitBreakerPolicy()
        for key in fields.keys.sorted() where !breakerFields.contains(key) {
            issues.append(ValidationIssue(loc: loc + [key], msg: "unknown field; a breaker has enabled, failureThreshold and cooldownSeconds"))
        }
        switch fields["enabled"] {
        case nil, .null?: break
        case .bool(let enabled)?: breaker.enabled = enabled
        default: issues.append(ValidationIssue(loc: loc + ["enabled"], msg: "expected true or false"))
        }
        for (key, path) in [("failureThreshold", \CircuitBreakerPolicy.failureThreshold), ("cooldownSeconds", \.cooldownSeconds)] {
            switch fields[key] {
            case nil, .null?: break
            case .integer(let value)?: breaker[keyPath: path] = Int(clamping: value)
            default: issues.append(ValidationIssue(loc: loc + [key], msg: "expected a whole number"))
            }
        }
        return breaker
    }
}

/// `EndpointPolicyOut`: the endpoint's own settings (null where it uses the server's) and the server's, so a reader
/// sees what applies.
struct EndpointPolicyOut: Encodable {
    struct ServerDefaults: Encodable {
        var retrySchedule: [Double]
        var timeoutSeconds: Int
        var circuitBreaker: CircuitBreakerPolicy
    }

    /// Where the endpoint stands now: its breaker, and until when nothing is sent to it (a slow-down, the breaker's
    /// cool-down or a probe in flight), if it is paused.
    struct State: Encodable {
        var circuitBreaker: String
        var pausedUntil: Timestamp?

        init(_ gate: DeliveryGate?, now: Timestamp) {
            circuitBreaker =
                switch gate?.breaker ?? .closed {
                case .closed: "closed"
                case .open: "open"
                case .probing: "probing"
                }
            pausedUntil = gate.flatMap { $0.openAt > now ? $0.openAt : nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(circuitBreaker, forKey: .circuitBreaker)
            try container.encode(pausedUntil, forKey: .pausedUntil)
        }

        enum CodingKeys: String, CodingKey {
            case circuitBreaker, pausedUntil
        }
    }

    var retrySchedule: [Double]?
    var timeoutSeconds: Int?
    var filter: JSONValue?
    var circuitBreaker: CircuitBreakerPolicy?
    var ordering: DeliveryOrdering?
    var signInbound: Bool?
    var serverDefaults: ServerDefaults
    var state: State

    init(_ policy: EndpointPolicy, settings: APISettings, gate: DeliveryGate?, now: Timestamp) {
        retrySchedule = policy.retrySchedule
        timeoutSeconds = policy.timeoutSeconds
        filter = policy.filter
        circuitBreaker = policy.circuitBreaker
        ordering = policy.ordering
        signInbound = policy.signInbound
        serverDefaults = ServerDefaults(
            retrySchedule: settings.retrySchedule,
            timeoutSeconds: settings.requestTimeoutSeconds,
            circuitBreaker: CircuitBreakerPolicy()
        )
        state = State(gate, now: now)
    }

    func encode(to encoder: any Encoder) throws {
        // Unset fields are written as null, not left out: the shape is the same whatever is set.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(retrySchedule, forKey: .retrySchedule)
        try container.encode(timeoutSeconds, forKey: .timeoutSeconds)
        try container.encode(filter, forKey: .filter)
        try container.encode(circuitBreaker, forKey: .circuitBreaker)
        try container.encode(ordering, forKey: .ordering)
        try container.encode(signInbound, forKey: .signInbound)
        try container.encode(serverDefaults, forKey: .serverDefaults)
        try container.encode(state, forKey: .state)
    }

    enum CodingKeys: String, CodingKey {
        case retrySchedule, timeoutSeconds, filter, circuitBreaker, ordering, signInbound, serverDefaults, state
    }
}
