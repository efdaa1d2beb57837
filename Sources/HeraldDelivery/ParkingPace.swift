import HeraldCore

/// When the dispatcher parks an endpoint's backlog and lets it back (`DeliveryQueue.parkBacklog`). An endpoint is
/// parked once it has been full for `interval` (a fast endpoint at its cap for a moment is left alone), at most every
/// `interval`; what this dispatcher parked it lets back as soon as a claim finds the endpoint had room and too few
/// waiting to fill it; and every `interval` a sweep lets back what any instance parked and nobody released.
struct ParkingPace {
    var interval: Duration = .milliseconds(500)
    private var fullSince: [String: ContinuousClock.Instant] = [:]
    private var lastParked: [String: ContinuousClock.Instant] = [:]
    private var lastSweep: ContinuousClock.Instant?
    /// Endpoints this dispatcher parked and has not seen emptied.
    private(set) var parkedHere: Set<String> = []

    /// The endpoints of `full` to park now; they are counted as parked here.
    mutating func endpointsToPark(_ full: [String], now: ContinuousClock.Instant) -> [String] {
        let full = Set(full)
        // Forgotten as soon as they have room, so the tables stay as small as the set of full endpoints.
        fullSince = fullSince.filter { full.contains($0.key) }
        lastParked = lastParked.filter { now - $0.value < interval }
        var due: [String] = []
        for endpoint in full {
            let since = fullSince[endpoint] ?? now
            fullSince[endpoint] = since
            if now - since >= interval, lastParked[endpoint] == nil {
                lastParked[endpoint] = now
                parkedHere.insert(endpoint)
                due.append(endpoint)
            }
        }
        return due
    }

    /// Endpoints parked here that a claim with `room` (before it) and `limit` found short of waiting deliveries:
    /// they had room, the claim was not cut by its limit, and it took fewer of theirs than they had room for.
    func endpointsRunDry(room: EndpointRoom, limit: Int, claimed: [DeliveryTask]) -> [String] {
        guard !parkedHere.isEmpty, claimed.count < limit else { return [] }
        var taken: [String: Int] = [:]
        for task in claimed where parkedHere.contains(task.endpointID) { taken[task.endpointID, default: 0] += 1 }
        return parkedHere.filter { endpoint in
            let free = room.cap - room.claimed[endpoint, default: 0]
            return free > 0 && taken[endpoint, default: 0] < free
        }
    }

    /// The endpoint has nothing left parked.
    mutating func emptied(_ endpoint: String) {
        parkedHere.remove(endpoint)
    }

    /// Whether a sweep is due now (and marks it done).
    mutating func sweepDue(now: ContinuousClock.Instant) -> Bool {
        if let lastSweep, now - lastSweep < interval { return false }
        lastSweep = now
        return true
    }
}
