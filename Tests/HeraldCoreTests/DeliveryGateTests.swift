import HeraldCore
import Testing

/// Throttle reservations (GCRA) and slow-downs, as pure functions of the stored gates.
@Suite struct DeliveryGateTests {
    static let now = Timestamp(milliseconds: 1_800_000_000_000)

    static func request(endpoint: Int? = nil, app: Int? = nil, count: Int, endpointID: String = "ep_1") -> ThrottlePlanner.Request {
        ThrottlePlanner.Request(
            endpointID: endpointID,
            endpointRate: endpoint.map(ThrottleRate.init(perSecond:)),
            appID: "app_1",
            appRate: app.map(ThrottleRate.init(perSecond:)),
            count: count
        )
    }

    @Test func aRateGrantsItsBurstAtOnceThenOneSendPerIntervalWithinTheHorizon() {
        var planner = ThrottlePlanner(gates: [:], now: Self.now)
        // 20/s: a burst of 2, then one every 50 ms up to a second from now.
        let times = planner.reserve(Self.request(endpoint: 20, count: 100))
        #expect(times.count == 22)
        #expect(times.prefix(2).allSatisfy { $0 == Self.now })
        #expect(times.last == Self.now.adding(milliseconds: 1_000))
        // What is reserved is gone: at the same moment nothing more is granted, and claims wait until the next send.
        #expect(planner.reserve(Self.request(endpoint: 20, count: 100)).isEmpty)
        #expect(planner.gates["ep_1"]?.openAt == Self.now.adding(milliseconds: 1_050))
    }

    @Test func noStretchOfTimeGetsMoreThanTheRateAndTheBurst() {
        var random = SystemRandomNumberGenerator()
        for rate in [1, 3, 10, 20, 250, 2_000] {
            let throttle = ThrottleRate(perSecond: rate)
            var gates: [String: DeliveryGate] = [:]
            var now = Self.now
            var sends: [Int64] = []
            for _ in 0..<200 {
                var planner = ThrottlePlanner(gates: gates, now: now)
                sends += planner.reserve(Self.request(endpoint: rate, count: Int.random(in: 0...40, using: &random))).map(\.milliseconds)
                gates = planner.gates
                now = now.adding(milliseconds: Int64.random(in: 0...700, using: &random))
            }
            sends.sort()
            var worst: String?
            for (start, first) in sends.enumerated() where worst == nil {
                for (offset, last) in sends[start...].enumerated() {
                    // Times are whole milliseconds, rounded up: one more send may share an edge.
                    let allowed = Double(rate) * Double(last - first + 1) / 1000 + Double(throttle.burst) + 1
                    if Double(offset + 1) > allowed {
                        worst = "rate \(rate): \(offset + 1) sends in \(last - first) ms"
                        break
                    }
                }
            }
            #expect(worst == nil, "\(worst ?? "")")
            #expect(sends.count > 50)
        }
    }

    /// What the dispatcher lets happen: a send leaves up to `latenessMicros` (exclusive, less its 2 ms of doubt) after
    /// its reserved time, in any order; a second still gets no more than the rate and the burst.
    @Test func sendsLeavingLateWithinTheAllowanceKeepTheBound() {
        var random = SystemRandomNumberGenerator()
        for rate in [1, 10, 20, 50, 250, 1_000] {
            let throttle = ThrottleRate(perSecond: rate)
            var planner = ThrottlePlanner(gates: [:], now: Self.now)
            var now = Self.now
            var sends: [Int64] = []
            for _ in 0..<(rate >= 250 ? 8 : 60) {
                let reserved = planner.reserve(Self.request(endpoint: rate, count: 3 * rate + 3))
                let latest = max(0, throttle.latenessMicros / 1000 - 2)
                sends += reserved.map { $0.milliseconds + Int64.random(in: 0...latest, using: &random) }
                now = now.adding(milliseconds: 1_000)
                planner = ThrottlePlanner(gates: planner.gates, now: now)
            }
            sends.sort()
            var most = 0
            var start = 0
            for (end, time) in sends.enumerated() {
                while time - sends[start] >= 1_000 { start += 1 }
                most = max(most, end - start + 1)
            }
            // Reserved times are whole milliseconds, rounded up: one more send may share an edge.
            #expect(most <= rate + throttle.burst + 1, "rate \(rate): \(most) in a second")
            #expect(most >= rate, "rate \(rate): only \(most) in a second")
        }
    }

    @Test func theApplicationsRateBindsAcrossItsEndpointsAndTheSlowerRateWins() {
        var planner = ThrottlePlanner(gates: [:], now: Self.now)
        // The application allows 10/s (one each 100 ms); the endpoint alone would allow 100/s.
        let first = planner.reserve(Self.request(endpoint: 100, app: 10, count: 50))
        let second = planner.reserve(Self.request(app: 10, count: 50, endpointID: "ep_2"))
        #expect(first.count == 11)
        #expect(second.isEmpty)
        #expect(zip(first, first.dropFirst()).allSatisfy { $1.milliseconds - $0.milliseconds == 100 })
        #expect(planner.gates["app_1"]?.openAt == Self.now.adding(milliseconds: 1_100))
        // The endpoint's own gate advanced only by what was granted.
        #expect(planner.gates["ep_1"]?.tatMicros == (Self.now.milliseconds + 110) * 1000)
    }

    @Test func aDamagedStoredGateNeverTraps() {
        let damaged = DeliveryGate(tatMicros: .max, openAt: Timestamp(milliseconds: .min), backoffMs: .max)
        var planner = ThrottlePlanner(gates: ["ep_1": damaged, "app_1": DeliveryGate(tatMicros: .min)], now: Self.now)
        #expect(planner.reserve(Self.request(endpoint: 65_535, app: 1, count: 1_000)).isEmpty)
        let slowed = SlowDown.close(damaged, now: Self.now, retryAfterSeconds: .infinity)
        #expect(slowed.openAt == Self.now.adding(milliseconds: SlowDown.firstBackoffMs))
        #expect(SlowDown.close(damaged, now: Self.now, retryAfterSeconds: 1e300).openAt == Self.now.adding(seconds: 3_600))
    }

    @Test func aSlowDownWaitsForRetryAfterOrDoublesWhileTheReceiverKeepsAsking() {
        #expect(SlowDown.asked(statusCode: 429) && SlowDown.asked(statusCode: 502) && SlowDown.asked(statusCode: 504))
        #expect(!SlowDown.asked(statusCode: 500) && !SlowDown.asked(statusCode: 503))
        let first = SlowDown.close(nil, now: Self.now, retryAfterSeconds: nil)
        #expect(first.openAt == Self.now.adding(seconds: 2))
        // Answers to requests sent before it closed change nothing.
        #expect(SlowDown.close(first, now: Self.now.adding(seconds: 1), retryAfterSeconds: 30) == first)
        // A throttle's next slot a moment away does not hide the answer.
        let throttled = DeliveryGate(tatMicros: 0, openAt: Self.now.adding(milliseconds: 50))
        #expect(SlowDown.close(throttled, now: Self.now, retryAfterSeconds: 30).openAt == Self.now.adding(seconds: 30))
        // Asked again soon after it opened: twice as long.
        let second = SlowDown.close(first, now: Self.now.adding(seconds: 3), retryAfterSeconds: nil)
        #expect(second.openAt == Self.now.adding(seconds: 7))
        var gate = second
        for _ in 0..<20 { gate = SlowDown.close(gate, now: gate.openAt, retryAfterSeconds: nil) }
        #expect(gate.backoffMs == SlowDown.maximumBackoffMs)
        // Long quiet: it starts over. Retry-After is followed within 1 s to 1 h.
        #expect(SlowDown.close(gate, now: gate.openAt.adding(seconds: 3_600), retryAfterSeconds: nil).backoffMs == SlowDown.firstBackoffMs)
        #expect(SlowDown.close(nil, now: Self.now, retryAfterSeconds: 30).openAt == Self.now.adding(seconds: 30))
        #expect(SlowDown.close(nil, now: Self.now, retryAfterSeconds: 0).openAt == Self.now.adding(seconds: 1))
    }

    @Test func aBreakerOpensHandsOneProbeOutAndClosesOnItsSuccess() {
        let opened = Breaker.open(nil, until: Self.now.adding(seconds: 30))
        #expect(opened.breaker == .open && opened.openAt == Self.now.adding(seconds: 30))
        // Not before the cool-down is over, and once only: the probe's lease keeps the others out.
        #expect(Breaker.probe(opened, now: Self.now.adding(seconds: 29), leaseUntil: Self.now.adding(seconds: 90)) == nil)
        let probing = Breaker.probe(opened, now: Self.now.adding(seconds: 30), leaseUntil: Self.now.adding(seconds: 90))
        #expect(probing?.breaker == .probing && probing?.openAt == Self.now.adding(seconds: 90))
        #expect(Breaker.probe(probing, now: Self.now.adding(seconds: 31), leaseUntil: Self.now.adding(seconds: 91)) == nil)
        // A probe whose instance died lapses with its lease, and another is taken.
        #expect(Breaker.probe(probing, now: Self.now.adding(seconds: 90), leaseUntil: Self.now.adding(seconds: 150)) != nil)
        #expect(Breaker.probe(nil, now: Self.now, leaseUntil: Self.now) == nil)
        // A failed probe opens it for another cool-down from now, not until the probe's lease ends.
        #expect(Breaker.open(probing, until: Self.now.adding(seconds: 61)).openAt == Self.now.adding(seconds: 61))
        let closed = Breaker.close(probing, now: Self.now.adding(seconds: 32))
        #expect(closed.breaker == .closed && closed.openAt == Self.now.adding(seconds: 32))
        // A slow-down running longer than the breaker's cool-down is kept when it opens.
        #expect(
            Breaker.open(DeliveryGate(openAt: Self.now.adding(seconds: 60)), until: Self.now.adding(seconds: 30)).openAt
                == Self.now.adding(seconds: 60)
        )
    }

    @Test func aBreakerCountsOnlyAnswersThatSayTheReceiverIsDownAndIsValidated() {
        #expect([0, 408, 429, 500, 502, 503, 504, 599].allSatisfy(CircuitBreakerPolicy.counts(statusCode:)))
        #expect(![200, 204, 301, 400, 401, 404, 410, 422].contains(where: CircuitBreakerPolicy.counts(statusCode:)))
        #expect(CircuitBreakerPolicy().issues(at: []).isEmpty)
        let bad = CircuitBreakerPolicy(failureThreshold: 0, cooldownSeconds: 86_401)
        #expect(
            bad.issues(at: ["body", "circuitBreaker"]).map(\.loc) == [
                ["body", "circuitBreaker", "failureThreshold"], ["body", "circuitBreaker", "cooldownSeconds"],
            ]
        )
    }
}
