import HeraldCore
import Logging

/// Throttle rates and slow-downs (`DeliveryGate`): what this dispatcher reserves, hands back and waits for.
extension Dispatcher {
    /// Reserves send times for the claimed deliveries of throttled endpoints and applications; the ones the rates
    /// cannot take within the horizon go back to wait, due now (claims pass them over while the gate is closed).
    /// Returns the deliveries to send, each with its reserved time.
    func throttle(_ claimed: [DeliveryTask]) async -> [DeliveryTask] {
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
        do {
            reserved = try await store.reserveSends(requests, now: now)
        } catch {
            logger.error("reserving throttled sends failed", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
        var handBack: [DeliveryTask] = []
        for (index, group) in groups.enumerated() {
            let times = index < reserved.count ? reserved[index] : []
            for (position, var task) in group.tasks.enumerated() {
                guard position < times.count else {
                    handBack.append(task)
                    continue
                }
                if times[position] > now { task.notBefore = times[position] }
                send.append(task)
            }
            if times.count < group.tasks.count { closeLocally(group.endpointID, until: now.adding(milliseconds: 1_000)) }
        }
        await self.handBack(handBack, at: now)
        return send
    }

    /// Waits for the time a throttle reserved for the delivery, then until sending now keeps this process's requests
    /// to the endpoint and application within their rates (`SendPacing`).
    func waitForTurn(_ task: DeliveryTask) async {
        guard task.throttleRate != nil || task.appThrottleRate != nil else { return }
        if let notBefore = task.notBefore {
            let wait = notBefore.milliseconds(since: clock.now())
            if wait > 0 { try? await Task.sleep(for: .milliseconds(min(wait, ThrottlePlanner.horizonMicros / 1000))) }
        }
        while let wait = pacing.withLock({ $0.admit(task) }) {
            try? await Task.sleep(for: min(wait, .microseconds(ThrottlePlanner.horizonMicros)))
        }
    }

    /// The receiver asked to slow down: closes its endpoint for every instance, once per closing here.
    func slowDown(_ task: DeliveryTask, retryAfterSeconds: Double?) async {
        let now = clock.now()
        if let until = slowedEndpoints.withLock({ $0[task.endpointID] }), until > now { return }
        do {
            let opens = try await store.slowDown(endpointID: task.endpointID, retryAfterSeconds: retryAfterSeconds, now: now)
            slowedEndpoints.withLock { $0[task.endpointID] = opens }
            closeLocally(task.endpointID, until: opens)
            logger.info(
                "endpoint asked to slow down",
                metadata: Self.logMetadata(task).merging(["herald.opens_at": "\(opens)"]) { $1 }
            )
        } catch {
            logger.error("slowing an endpoint down failed", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
    }

    /// When the endpoint opens again, if its receiver asked this dispatcher to slow down and it is still closed.
    func slowedUntil(_ endpointID: String) -> Timestamp? {
        let now = clock.now()
        return slowedEndpoints.withLock { slowed in slowed[endpointID].flatMap { $0 > now ? $0 : nil } }
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
        slowedEndpoints.withLock { $0 = $0.filter { $0.value > now } }
        return closedHere.withLock { closed in
            closed = closed.filter { $0.value > now }
            return Set(closed.keys)
        }
    }

    private func closeLocally(_ endpointID: String, until: Timestamp) {
        closedHere.withLock { $0[endpointID] = max($0[endpointID] ?? until, until) }
    }
}
