import HeraldCore

/// A delivery queue whose results take `delay` longer to record than the store needs — as on PostgreSQL, where
/// recording an ordered delivery is a transaction of several round trips and a claim is one statement. Everything else
/// goes straight to `base`.
struct SlowRecordingQueue: DeliveryQueue {
    let base: any DeliveryQueue
    let delay: Duration

    var newWork: WorkSignal { base.newWork }

    func completeDelivery(
        _ task: DeliveryTask,
        result: DeliveryResult,
        owner: String,
        now: Timestamp,
        disableAfterSeconds: Int64
    ) async throws -> DeliveryEffects {
        try await Task.sleep(for: delay)
        return try await base.completeDelivery(task, result: result, owner: owner, now: now, disableAfterSeconds: disableAfterSeconds)
    }

    func claimDeliveries(limit: Int, now: Timestamp, leaseUntil: Timestamp, owner: String, room: EndpointRoom) async throws -> [DeliveryTask] {
        try await base.claimDeliveries(limit: limit, now: now, leaseUntil: leaseUntil, owner: owner, room: room)
    }

    func nextDueTime(now: Timestamp) async throws -> Timestamp? { try await base.nextDueTime(now: now) }

    func reserveSends(_ requests: [ThrottlePlanner.Request], now: Timestamp) async throws -> [[Timestamp]] {
        try await base.reserveSends(requests, now: now)
    }

    func slowDown(endpointID: String, retryAfterSeconds: Double?, now: Timestamp) async throws -> Timestamp {
        try await base.slowDown(endpointID: endpointID, retryAfterSeconds: retryAfterSeconds, now: now)
    }

    func openBreaker(endpointID: String, until: Timestamp) async throws -> Bool {
        try await base.openBreaker(endpointID: endpointID, until: until)
    }

    func startProbe(endpointID: String, now: Timestamp, leaseUntil: Timestamp) async throws -> Bool {
        try await base.startProbe(endpointID: endpointID, now: now, leaseUntil: leaseUntil)
    }

    func closeBreaker(endpointID: String, now: Timestamp) async throws -> Bool {
        try await base.closeBreaker(endpointID: endpointID, now: now)
    }

    func deliveryGate(key: String) async throws -> DeliveryGate? { try await base.deliveryGate(key: key) }

    func deferDeliveries(_ deliveryIDs: [Int64], owner: String, at: Timestamp) async throws {
        try await base.deferDeliveries(deliveryIDs, owner: owner, at: at)
    }

    func parkBacklog(endpointID: String, keep: Int, now: Timestamp) async throws {
        try await base.parkBacklog(endpointID: endpointID, keep: keep, now: now)
    }

    func releaseParked(keep: Int, now: Timestamp) async throws -> Int { try await base.releaseParked(keep: keep, now: now) }

    func relistStrandedParked(after endpointID: String, limit: Int, now: Timestamp) async throws -> String? {
        try await base.relistStrandedParked(after: endpointID, limit: limit, now: now)
    }

    func releaseParked(endpointID: String, count: Int) async throws -> Int {
        try await base.releaseParked(endpointID: endpointID, count: count)
    }

    func queueDepth(now: Timestamp) async throws -> QueueDepth { try await base.queueDepth(now: now) }

    func releaseLeases(owner: String?, now: Timestamp) async throws { try await base.releaseLeases(owner: owner, now: now) }
}
