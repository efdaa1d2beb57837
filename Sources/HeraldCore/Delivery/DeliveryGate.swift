/// When an endpoint or an application may be sent to: its `throttleRate` (as a generic cell rate algorithm, GCRA)
/// and the slow-downs its receiver asked for. Stored per endpoint and per application id, so every instance sharing
/// the database reads and advances the same state; claims pass over the deliveries of whatever is closed until
/// `openAt`.
public struct DeliveryGate: Sendable, Hashable {
    /// GCRA's theoretical arrival time, in microseconds: the time the next send would be due at the exact rate.
    public var tatMicros: Int64
    /// Before this time claims take none of its deliveries.
    public var openAt: Timestamp
    /// The last slow-down's length (doubles while the receiver keeps asking).
    public var backoffMs: Int64
    /// The endpoint's circuit breaker (`CircuitBreakerPolicy`).
    public var breaker: BreakerState

    public init(
        tatMicros: Int64 = 0,
        openAt: Timestamp = Timestamp(milliseconds: 0),
        backoffMs: Int64 = 0,
        breaker: BreakerState = .closed
    ) {
        self.tatMicros = tatMicros
        self.openAt = openAt
        self.backoffMs = backoffMs
        self.breaker = breaker
    }
}

/// Where an endpoint's circuit breaker stands. Open, its deliveries wait until `DeliveryGate.openAt`; then one
/// instance takes one delivery as the probe (`probing`, the gate closed again for the probe's lease) and its result
/// closes or reopens the breaker. A probe whose instance died lapses with its lease, and another is taken.
public enum BreakerState: Int, Sendable, Hashable, StoredCode {
    case closed = 0
    case open = 1
    case probing = 2
}

/// A throttle rate as GCRA applies it: one send every `1/rate` seconds, with a burst of a tenth of a second's worth
/// (at least one) on top — over any stretch of time an endpoint gets at most `rate × seconds + burst` sends.
public struct ThrottleRate: Sendable, Hashable {
    /// Sends per second, 1 to 65,535 (validated on input; anything else read back is clamped).
    public let perSecond: Int

    public init(perSecond: Int) {
        self.perSecond = min(max(perSecond, 1), 65_535)
    }

    /// A stored rate, if one is set and positive.
    public init?(stored: Int?) {
        guard let stored, stored > 0 else { return nil }
        self.init(perSecond: stored)
    }

    /// Sends allowed at once on top of the rate.
    public var burst: Int { max(1, perSecond / 10) }
    /// Microseconds between two sends at the exact rate.
    public var intervalMicros: Int64 { 1_000_000 / Int64(perSecond) }
    /// How far ahead of its exact time a send may go (the burst).
    public var toleranceMicros: Int64 { Int64(burst - 1) * intervalMicros }
    /// The same for reservations (`ThrottlePlanner`), less `lateSends - 1` sends of the burst: a send may leave less
    /// than `latenessMicros` after its reserved time (a later one reserves again), and the sends kept back make room
    /// for it, so the receiver still gets no more than the rate and the burst in any second from all instances
    /// together (in a second, sends reserved up to `lateSends` intervals before it can arrive: `lateSends - 1` more
    /// than without lateness, as a second holds a whole number of sends).
    public var reservationToleranceMicros: Int64 { Int64(burst - lateSends) * intervalMicros }
    /// How late after its reserved time a send may still leave (exclusive): what a busy machine needs (about 20 ms),
    /// as far as the burst has room for it, and at least one interval.
    public var latenessMicros: Int64 { Int64(lateSends) * intervalMicros }
    private var lateSends: Int { max(1, min(burst, Int((20_000 + intervalMicros - 1) / intervalMicros))) }
}

/// Reserves send times for claimed deliveries against their endpoint's and application's rates (both, when both
/// are set). A delivery is granted a time no later than `horizon` from now; the rest go back to wait. Every grant
/// advances the gates it used, so what one instance reserved another cannot reserve again.
public struct ThrottlePlanner: Sendable {
    /// One endpoint's claimed deliveries, `count` of them, in order.
    public struct Request: Sendable, Hashable {
        public var endpointID: String
        public var endpointRate: ThrottleRate?
        public var appID: String
        public var appRate: ThrottleRate?
        public var count: Int

        public init(endpointID: String, endpointRate: ThrottleRate?, appID: String, appRate: ThrottleRate?, count: Int) {
            self.endpointID = endpointID
            self.endpointRate = endpointRate
            self.appID = appID
            self.appRate = appRate
            self.count = count
        }

        /// The gate keys the request reads and advances.
        public var keys: [String] { (endpointRate == nil ? [] : [endpointID]) + (appRate == nil ? [] : [appID]) }
    }

    /// How far ahead a reservation reaches: what is granted is sent within this time.
    public static let horizonMicros: Int64 = 1_000_000

    public var gates: [String: DeliveryGate]
    public let nowMicros: Int64

    public init(gates: [String: DeliveryGate], now: Timestamp) {
        self.gates = gates
        self.nowMicros = now.milliseconds.multipliedReportingOverflow(by: 1000).partialValue
    }

    /// The send times granted to the first deliveries of `request` (fewer than `count` when the horizon is reached),
    /// advancing the gates it used.
    public mutating func reserve(_ request: Request) -> [Timestamp] {
        let limit = nowMicros + Self.horizonMicros
        let endpointStart = request.endpointRate.map { _ in start(request.endpointID) }
        let appStart = request.appRate.map { _ in start(request.appID) }
        var times: [Timestamp] = []
        for index in 0..<max(0, request.count) {
            var at = nowMicros
            if let rate = request.endpointRate, let start = endpointStart {
                at = max(at, start + Int64(index) * rate.intervalMicros - rate.reservationToleranceMicros)
            }
            if let rate = request.appRate, let start = appStart {
                at = max(at, start + Int64(index) * rate.intervalMicros - rate.reservationToleranceMicros)
            }
            guard at <= limit else { break }
            times.append(Timestamp(milliseconds: (at + 999) / 1000))
        }
        let granted = Int64(times.count)
        if let rate = request.endpointRate, let start = endpointStart {
            advance(request.endpointID, to: start + granted * rate.intervalMicros, rate: rate)
        }
        if let rate = request.appRate, let start = appStart {
            advance(request.appID, to: start + granted * rate.intervalMicros, rate: rate)
        }
        return times
    }

    /// Where the key's next reservation starts: its arrival time, or now if that has passed. A stored time more than
    /// a day ahead is damage, read as a day ahead (so the arithmetic below stays far from overflowing).
    private func start(_ key: String) -> Int64 {
        min(max(gates[key]?.tatMicros ?? 0, nowMicros), nowMicros + 86_400_000_000)
    }

    /// The new arrival time; claims pass the key over until the next send may go.
    private mutating func advance(_ key: String, to tat: Int64, rate: ThrottleRate) {
        var gate = gates[key] ?? DeliveryGate()
        gate.tatMicros = tat
        let next = Timestamp(milliseconds: (tat - rate.reservationToleranceMicros + 999) / 1000)
        gate.openAt = max(gate.openAt, next)
        gates[key] = gate
    }
}

/// A receiver's hint to slow down (Standard Webhooks: `429`, `502`, `504`): its endpoint is closed for a while, for
/// `Retry-After` when it says (1 s to 1 h), otherwise 2 s, doubling while the receiver keeps asking, to 5 minutes.
public enum SlowDown {
    public static let firstBackoffMs: Int64 = 2_000
    public static let maximumBackoffMs: Int64 = 300_000
    static let retryAfterRangeMs: ClosedRange<Int64> = 1_000...3_600_000

    /// Whether an answer asks for it.
    public static func asked(statusCode: Int) -> Bool {
        statusCode == 429 || statusCode == 502 || statusCode == 504
    }

    /// The gate after one more such answer at `now`. Answers to requests sent before the gate closed for a while (it
    /// stays closed a second more or longer: a slow-down, a cool-down) leave it as it is — a throttle's next slot is
    /// sooner than that, and is no reason to ignore the receiver; one soon after it reopened doubles the wait.
    public static func close(_ gate: DeliveryGate?, now: Timestamp, retryAfterSeconds: Double?) -> DeliveryGate {
        var gate = gate ?? DeliveryGate()
        if gate.openAt >= now.adding(milliseconds: 1_000) { return gate }
        let previous = min(max(gate.backoffMs, 0), maximumBackoffMs)
        let sinceOpen = now.milliseconds.subtractingReportingOverflow(gate.openAt.milliseconds)
        let recent = previous > 0 && !sinceOpen.overflow && sinceOpen.partialValue < 2 * previous + firstBackoffMs
        var backoff = recent ? min(previous * 2, maximumBackoffMs) : firstBackoffMs
        if let retryAfterSeconds, retryAfterSeconds.isFinite {
            let asked = Int64(exactly: (min(max(retryAfterSeconds, 0), 3_600) * 1000).rounded()) ?? retryAfterRangeMs.upperBound
            backoff = min(max(asked, retryAfterRangeMs.lowerBound), retryAfterRangeMs.upperBound)
        }
        gate.backoffMs = backoff
        gate.openAt = max(gate.openAt, now.adding(milliseconds: backoff))
        return gate
    }
}

/// The circuit breaker's moves on a gate, as pure functions of what is stored.
public enum Breaker {
    /// Opens (or, after a failed probe, opens again) until `until`; the gate stays closed at least that long (a
    /// probe's lease is what it replaces).
    public static func open(_ gate: DeliveryGate?, until: Timestamp) -> DeliveryGate {
        var gate = gate ?? DeliveryGate()
        gate.openAt = gate.breaker == .probing ? until : max(gate.openAt, until)
        gate.breaker = .open
        return gate
    }

    /// Takes the probe when the breaker is open (or its probe lapsed) and its cool-down is over: the gate is closed
    /// to claims again until `leaseUntil`. Nil when there is nothing to probe, or another instance holds the probe.
    public static func probe(_ gate: DeliveryGate?, now: Timestamp, leaseUntil: Timestamp) -> DeliveryGate? {
        guard var gate, gate.breaker != .closed, gate.openAt <= now else { return nil }
        gate.breaker = .probing
        gate.openAt = leaseUntil
        return gate
    }

    /// Closes: the probe succeeded. The endpoint opens now.
    public static func close(_ gate: DeliveryGate?, now: Timestamp) -> DeliveryGate {
        var gate = gate ?? DeliveryGate()
        gate.breaker = .closed
        gate.openAt = min(gate.openAt, now)
        return gate
    }
}
