import HeraldCore
import Logging

/// Throttle rates and slow-downs (`DeliveryGate`): what this dispatcher reserves, hands back and waits for.
extension Dispatcher {
    /// Reserves send times for the claimed deliveries of throttled endpoints and applications; the ones the rates
    /// cannot take within the horizon go back to wait, due now (claims pass them over while the gate is closed).
    /// Returns the deliveries to send, each with its reserved time.
    func throttle(_ claimed: [DeliveryTask]) async -> [DeliveryTask] {
        let claimed = await probe(claimed)
        guard claimed.contains(where: { $0.throttleRate != nil || $0.appThrottleRate != nil }) else { return claimed }
        var send: [DeliveryTask] = []
        var groups: [(endpointID: String, tasks: [DeliveryTask])] = []
        var groupOf: [String: Int] = [:]
        for task in claimed {
            guard task.throttleRate != nil || task.appThrottleRate != nil else {
                send.append(task)
                continue
            }
            if let index = groupOf[task.endpointID] {
                groups[index].tasks.append(task)
            } else {
                groupOf[task.endpointID] = groups.count
                groups.append((task.endpointID, [task]))
            }
        }
        let requests = groups.compactMap { group in
            group.tasks.first.map { first in
                ThrottlePlanner.Request(
                    endpointID: first.endpointID,
                    endpointRate: first.throttleRate,
                    appID: first.appID,
                    appRate: first.appThrottleRate,
                    count: group.tasks.count
                )
            }
        }
        let now = clock.now()
        var reserved: [[Timestamp]] = []
        var handBackAt = now
        do {
            reserved = try await store.reserveSends(requests, now: now)
        } catch {
            logger.error("reserving throttled sends failed", metadata: ["herald.error": "\(String(reflecting: error))"])
            // A second later, or the claim loop would spin on a failing database.
            handBackAt = now.adding(milliseconds: 1_000)
        }
        var handBack: [DeliveryTask] = []
        for (index, group) in groups.enumerated() {
            let times = index < reserved.count ? reserved[index] : []
            for (position, var task) in group.tasks.enumerated() {
                guard position < times.count else {
                    handBack.append(task)
                    continue
                }
                task.notBefore = times[position]
                send.append(task)
            }
            if times.count < group.tasks.count { closeLocally(group.endpointID, until: now.adding(milliseconds: 1_000)) }
        }
        await self.handBack(handBack, at: handBackAt)
        return send
    }

    /// Deliveries of endpoints whose breaker is open (and whose cool-down is over, or claims would not have taken
    /// them): one per endpoint goes as the probe if this dispatcher wins it; the others go back to wait.
    private func probe(_ claimed: [DeliveryTask]) async -> [DeliveryTask] {
        guard claimed.contains(where: { $0.breaker != .closed }) else { return claimed }
        let now = clock.now()
        var send: [DeliveryTask] = []
        var handBack: [DeliveryTask] = []
        var decided: [String: Bool] = [:]
        // Endpoints whose probe could not be taken, and their deliveries.
        var unknown: Set<String> = []
        var failed: [DeliveryTask] = []
        for var task in claimed {
            // One that will not be sent (its endpoint or payload is gone) ends now, probe or not.
            guard task.breaker != .closed, !task.endpointInactive, task.payload != nil, task.payloadExpiresAt > now else {
                send.append(task)
                continue
            }
            if decided[task.endpointID] == nil {
                let leaseUntil = now.adding(seconds: settings.leaseSeconds)
                do {
                    let won = try await store.startProbe(endpointID: task.endpointID, now: now, leaseUntil: leaseUntil)
                    decided[task.endpointID] = won
                    if won {
                        task.isProbe = true
                        send.append(task)
                        continue
                    }
                } catch {
                    logger.error("taking a probe failed", metadata: ["herald.error": "\(String(reflecting: error))"])
                    decided[task.endpointID] = false
                    unknown.insert(task.endpointID)
                }
            }
            if unknown.contains(task.endpointID) { failed.append(task) } else { handBack.append(task) }
        }
        await self.handBack(handBack, at: now)
        // A second later, or the claim loop would spin on a failing database.
        await self.handBack(failed, at: now.adding(milliseconds: 1_000))
        return send
    }

    /// Counts the attempt toward its endpoint's circuit breaker, and settles a probe: opens the breaker after
    /// `failureThreshold` failures in a row here, closes it when a probe succeeds, opens it again when one fails.
    func noteBreaker(_ task: DeliveryTask, statusCode: Int, succeeded: Bool) async {
        let breaker = task.policy.breaker
        let failed = !succeeded && CircuitBreakerPolicy.counts(statusCode: statusCode)
        let now = clock.now()
        do {
            if task.isProbe {
                // Settled either way, it moves the endpoint's gate: news to the loop, whose sleep was measured before.
                defer { store.newWork.signal() }
                breakerFailures.withLock { $0[task.endpointID] = nil }
                // A breaker turned off while open closes on its probe, whatever the answer.
                if failed && breaker.enabled {
                    let until = now.adding(seconds: Int64(breaker.cooldownSeconds))
                    // Known closed here again, so parking takes its backlog out of the claims' way while it cools down.
                    heldEndpoints.withLock { $0[task.endpointID] = until }
                    closeLocally(task.endpointID, until: until)
                    _ = try await store.openBreaker(endpointID: task.endpointID, until: until)
                } else if try await store.closeBreaker(endpointID: task.endpointID, now: now) {
                    logger.notice("circuit breaker closed", metadata: Self.logMetadata(task))
                    await emitBreaker(.circuitClosed, task: task, statusCode: statusCode)
                }
                return
            }
            let opens = breakerFailures.withLock { failures -> Bool in
                guard failed, breaker.enabled else {
                    failures[task.endpointID] = nil
                    return false
                }
                // At most one count per endpoint that failed lately: past 10,000 of them, new ones are not counted
                // (never others' counts dropped for them).
                if failures[task.endpointID] == nil, failures.count >= 10_000 { return false }
                let count = failures[task.endpointID, default: 0] + 1
                failures[task.endpointID] = count >= breaker.failureThreshold ? nil : count
                return count >= breaker.failureThreshold
            }
            guard opens else { return }
            let until = now.adding(seconds: Int64(breaker.cooldownSeconds))
            heldEndpoints.withLock { $0[task.endpointID] = until }
            closeLocally(task.endpointID, until: until)
            if try await store.openBreaker(endpointID: task.endpointID, until: until) {
                logger.notice(
                    "circuit breaker opened",
                    metadata: Self.logMetadata(task).merging(["herald.failures": "\(breaker.failureThreshold)"]) { $1 }
                )
                await emitBreaker(.circuitOpened, task: task, statusCode: statusCode)
            }
        } catch {
            logger.error("recording a circuit breaker's state failed", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
    }

    private func emitBreaker(_ type: OperationalWebhooks.EventType, task: DeliveryTask, statusCode: Int) async {
        guard let operational else { return }
        var data: [String: JSONValue] = [
            "appId": .string(task.appID), "endpointId": .string(task.endpointID),
            "lastResponseStatusCode": .integer(Int64(statusCode)),
        ]
        if let uid = task.appUID { data["appUid"] = .string(uid) }
        if let uid = task.endpointUID { data["endpointUid"] = .string(uid) }
        do {
            try await operational.emit(type, orgID: task.orgID, data: data)
        } catch {
            logger.error("queueing an operational webhook failed", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
    }

    /// Waits for the time a throttle reserved for the delivery, then until sending now keeps this process's requests
    /// to the endpoint and application within their rates (`SendPacing`). A send that would leave later after its
    /// reserved time than the rates allow for (`ThrottleRate.latenessMicros`: a busy process) gives that time up and
    /// reserves again, or it could crowd the times another instance reserved next; a few times at most, then it
    /// goes. Returns false when the rate has nothing left within the horizon, or reserving failed: the caller hands
    /// the delivery back.
    func waitForTurn(_ task: DeliveryTask) async -> Bool {
        let rates = [task.throttleRate, task.appThrottleRate].compactMap { $0 }
        // One that will not be sent (its endpoint or payload is gone) ends at once.
        guard let lateness = rates.map(\.latenessMicros).min(), !task.endpointInactive, task.payload != nil,
            task.payloadExpiresAt > clock.now()
        else { return true }
        var reserved = task.notBefore
        for round in 0..<4 {
            if let reserved {
                let wait = reserved.milliseconds(since: clock.now())
                if wait > 0 { try? await Task.sleep(for: .milliseconds(min(wait, ThrottlePlanner.horizonMicros / 1000))) }
            }
            while !Task.isCancelled, let wait = pacing.withLock({ $0.admit(task) }) {
                try? await Task.sleep(for: min(wait, .microseconds(ThrottlePlanner.horizonMicros)))
            }
            let now = clock.now()
            // Reserved times are rounded up to the millisecond and the clock reads whole ones: 2 ms of doubt, counted late.
            guard round < 3, let time = reserved, now.milliseconds(since: time) * 1000 + 2_000 >= lateness else { return true }
            let request = ThrottlePlanner.Request(
                endpointID: task.endpointID,
                endpointRate: task.throttleRate,
                appID: task.appID,
                appRate: task.appThrottleRate,
                count: 1
            )
            do {
                reserved = try await store.reserveSends([request], now: now).first?.first
            } catch {
                logger.error("reserving throttled sends failed", metadata: ["herald.error": "\(String(reflecting: error))"])
                return false
            }
            guard reserved != nil else { return false }
        }
        return true
    }

    /// The receiver asked to slow down: closes its endpoint for every instance, once per closing here.
    func slowDown(_ task: DeliveryTask, retryAfterSeconds: Double?) async {
        let now = clock.now()
        if let until = heldEndpoints.withLock({ $0[task.endpointID] }), until > now { return }
        do {
            let opens = try await store.slowDown(endpointID: task.endpointID, retryAfterSeconds: retryAfterSeconds, now: now)
            heldEndpoints.withLock { $0[task.endpointID] = opens }
            closeLocally(task.endpointID, until: opens)
            logger.info(
                "endpoint asked to slow down",
                metadata: Self.logMetadata(task).merging(["herald.opens_at": "\(opens)"]) { $1 }
            )
        } catch {
            logger.error("slowing an endpoint down failed", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
    }

    /// When the endpoint opens again, if a slow-down or its breaker closed it here and it is still closed.
    func heldUntil(_ endpointID: String) -> Timestamp? {
        let now = clock.now()
        return heldEndpoints.withLock { slowed in slowed[endpointID].flatMap { $0 > now ? $0 : nil } }
    }

    /// Gives claimed deliveries back unattempted, due at `at`. On failure their leases run out instead.
    func handBack(_ tasks: [DeliveryTask], at: Timestamp) async {
        guard !tasks.isEmpty else { return }
        do {
            try await store.deferDeliveries(tasks.map(\.deliveryID), owner: owner, at: at)
        } catch {
            logger.error("handing back deliveries failed", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
    }

    /// Endpoints closed by a throttle or a slow-down, as this dispatcher knows: parking treats them as full. Forgets
    /// the ones open again.
    func closedEndpoints() -> Set<String> {
        let now = clock.now()
        heldEndpoints.withLock { $0 = $0.filter { $0.value > now } }
        return closedHere.withLock { closed in
            closed = closed.filter { $0.value > now }
            return Set(closed.keys)
        }
    }

    private func closeLocally(_ endpointID: String, until: Timestamp) {
        closedHere.withLock { $0[endpointID] = max($0[endpointID] ?? until, until) }
    }
}
