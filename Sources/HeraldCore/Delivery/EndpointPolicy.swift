/// How Herald delivers to one endpoint, where it differs from the server's settings (a Herald extension beside the
/// Svix API: `GET/PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/policy`). Every field is optional; nil means the
/// server's setting.
public struct EndpointPolicy: Sendable, Hashable, Codable {
    /// Seconds to wait after each failed attempt, as `HERALD_RETRY_SCHEDULE`; `[]` means no retries.
    public var retrySchedule: [Double]?
    /// Whole-request timeout, at most the server's `HERALD_REQUEST_TIMEOUT` (the operator's ceiling, since a request
    /// holds a slot shared with other tenants).
    public var timeoutSeconds: Int?
    /// Which payloads reach the endpoint (`PayloadFilter`), as written.
    public var filter: JSONValue?
    /// When sending stops for a while after a run of failures (nil: on, with the defaults).
    public var circuitBreaker: CircuitBreakerPolicy?
    /// `fifo`: one delivery at a time, in message order (nil: as many at once as the endpoint takes, in no order).
    public var ordering: DeliveryOrdering?
    /// For messages received from a source: add Herald's signature to the sender's headers (nil or false: forward
    /// them as the sender sent them, with the sender's signature only).
    public var signInbound: Bool?

    public init(
        retrySchedule: [Double]? = nil,
        timeoutSeconds: Int? = nil,
        filter: JSONValue? = nil,
        circuitBreaker: CircuitBreakerPolicy? = nil,
        ordering: DeliveryOrdering? = nil,
        signInbound: Bool? = nil
    ) {
        self.signInbound = signInbound
        self.ordering = ordering
        self.retrySchedule = retrySchedule
        self.timeoutSeconds = timeoutSeconds
        self.filter = filter
        self.circuitBreaker = circuitBreaker
    }

    /// Whether deliveries go one at a time in message order.
    public var isOrdered: Bool { ordering == .fifo }

    /// The breaker that applies: this policy's, or the default one.
    public var breaker: CircuitBreakerPolicy { circuitBreaker ?? CircuitBreakerPolicy() }

    /// Longest retry schedule a policy may name.
    public static let maxRetries = 20
    public static let timeoutRange = 1...30
    /// A tenant's schedule waits at least a second between attempts (none hammers a receiver) and at most 30 days in
    /// all (a delivery open longer holds back retention's partition drops for everyone).
    public static let retryDelayRange = 1...RetryPolicy.maximumDelaySeconds

    /// Nothing differs from the server's settings.
    public var isDefault: Bool { self == EndpointPolicy() }

    /// Every problem with the policy, located under `loc`.
    public func issues(at loc: [String]) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if let retrySchedule {
            if retrySchedule.count > Self.maxRetries {
                issues.append(ValidationIssue(loc: loc + ["retrySchedule"], msg: "must have at most \(Self.maxRetries) items"))
            }
            for (index, delay) in retrySchedule.enumerated() where !delay.isFinite || !Self.retryDelayRange.contains(delay) {
                issues.append(
                    ValidationIssue(
                        loc: loc + ["retrySchedule", String(index)],
                        msg: "must be seconds from 1 to \(Int(RetryPolicy.maximumDelaySeconds))"
                    )
                )
            }
            if issues.isEmpty, retrySchedule.reduce(0, +) > RetryPolicy.maximumDelaySeconds {
                issues.append(
                    ValidationIssue(
                        loc: loc + ["retrySchedule"],
                        msg: "must add up to at most \(Int(RetryPolicy.maximumDelaySeconds)) seconds (30 days)"
                    )
                )
            }
        }
        if let timeoutSeconds, !Self.timeoutRange.contains(timeoutSeconds) {
            issues.append(ValidationIssue(loc: loc + ["timeoutSeconds"], msg: "must be whole seconds from 1 to 30"))
        }
        if let circuitBreaker { issues += circuitBreaker.issues(at: loc + ["circuitBreaker"]) }
        if let filter {
            do {
                _ = try PayloadFilter.parse(filter, at: loc + ["filter"])
            } catch {
                issues += error.issues
            }
        }
        return issues
    }

    /// The retry policy of a delivery to this endpoint: the server's, with this schedule if it names one.
    public func retryPolicy(server: RetryPolicy) -> RetryPolicy {
        guard let retrySchedule else { return server }
        return RetryPolicy(schedule: retrySchedule, jitter: server.jitter)
    }

    /// The request timeout of a delivery to this endpoint: this one if shorter than the server's.
    public func requestTimeoutSeconds(server: Int) -> Int {
        min(timeoutSeconds ?? server, server)
    }
}

/// How an endpoint's deliveries are ordered. `fifo`: message n+1 is not attempted before message n was delivered or
/// given up (head-of-line blocking: a failing message holds back the ones after it through all its retries). Message
/// order is the order of their ids (the time each was accepted; on ties, the order their deliveries were stored). The
/// state is in the database: one delivery of the endpoint is due (its head), the rest wait parked behind it.
public enum DeliveryOrdering: String, Sendable, Hashable, Codable {
    case fifo
}

/// An endpoint's circuit breaker: after `failureThreshold` failed attempts in a row (no response, a timeout, a 5xx,
/// 408 or 429) nothing is sent to it for `cooldownSeconds`; then one delivery goes as a probe, and the breaker closes
/// when it succeeds or opens again when it fails. Deliveries wait meanwhile with their attempts unspent.
public struct CircuitBreakerPolicy: Sendable, Hashable, Codable {
    public var enabled: Bool
    public var failureThreshold: Int
    public var cooldownSeconds: Int

    public static let failureThresholdRange = 1...1_000
    public static let cooldownRange = 1...86_400

    public init(enabled: Bool = true, failureThreshold: Int = 10, cooldownSeconds: Int = 30) {
        self.enabled = enabled
        self.failureThreshold = failureThreshold
        self.cooldownSeconds = cooldownSeconds
    }

    public func issues(at loc: [String]) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if !Self.failureThresholdRange.contains(failureThreshold) {
            issues.append(ValidationIssue(loc: loc + ["failureThreshold"], msg: "must be a whole number from 1 to 1000"))
        }
        if !Self.cooldownRange.contains(cooldownSeconds) {
            issues.append(ValidationIssue(loc: loc + ["cooldownSeconds"], msg: "must be whole seconds from 1 to 86400"))
        }
        return issues
    }

    /// Whether an attempt's answer counts as a failure here: the receiver is down or overwhelmed, not refusing one
    /// message (another 4xx says nothing about the next delivery).
    public static func counts(statusCode: Int) -> Bool {
        statusCode == 0 || statusCode == 408 || statusCode == 429 || (500...599).contains(statusCode)
    }
}

extension EndpointPolicy {
    /// Policies by their stored text: a pure function of the text, so one cache serves every store and every claim.
    private static let decoded = ColumnCache<String, Decoded>()

    /// A stored policy with its filter parsed.
    public struct Decoded: Sendable {
        public var policy: EndpointPolicy
        /// nil when the policy has none, or when the stored one no longer parses (it was checked when written; a
        /// filter that no longer parses delivers everything rather than nothing).
        public var filter: PayloadFilter?
    }

    /// The policy stored as `text` (nil: the server's settings). Text that does not decode (it was checked when
    /// written) reads as the server's settings: one bad row must not fail a claim or a fan-out shared with others.
    public static func decoded(stored text: String?) -> Decoded? {
        guard let text else { return nil }
        return try? decoded.value(for: text) {
            let policy = (try? JSONColumn.decode(EndpointPolicy.self, text)) ?? EndpointPolicy()
            return Decoded(policy: policy, filter: policy.filter.flatMap { try? PayloadFilter.parse($0, at: []) })
        }
    }
}
