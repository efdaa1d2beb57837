import HeraldCore

/// When the dispatcher parks an endpoint's backlog and lets it back (`DeliveryQueue.parkBacklog`). An endpoint is
/// parked when it has been full for `interval` and finished fewer than `keep` requests meanwhile: a slow or dead one,
/// whose waiting deliveries claims would read past again and again. A fast endpoint at its cap is left alone (what
/// claims read past is gone a moment later). What this dispatcher parked it lets back as soon as a claim finds the
/// endpoint had room and too few waiting to fill it; every `interval` a sweep lets back what any instance parked and
/// nobody released.
struct ParkingPace {
    var interval: Duration = .milliseconds(500)
    let keep: Int
    private var fullSince: [String: (since: ContinuousClock.Instant, finished: Int)] = [:]
    private var lastParked: [String: ContinuousClock.Instant] = [:]
    private var lastSweep: ContinuousClock.Instant?
    /// Endpoints this dispatcher parked and has not seen emptied.
    private(set) var parkedHere: Set<String> = []
    /// Where the next sweep goes on looking for stranded parked deliveries (`DeliveryQueue.relistStrandedParked`): a
    /// few hundred endpoints a sweep, round and round, so the cost stays flat however many endpoints there are.
    var strandedCursor = ""
    let strandedBatch = 256

    init(keep: Int) {
        self.keep = keep
    }

    /// The endpoints of `full` to park now, given the requests that ended since the last call; they are counted as
    /// parked here.
    mutating func endpointsToPark(_ full: [String], completions: [String: Int], now: ContinuousClock.Instant) -> [String] {
        let full = Set(full)
        // Forgotten as soon as they have room, so the tables stay as small as the set of full endpoints.
        fullSince = fullSince.filter { full.contains($0.key) }
        lastParked = lastParked.filter { now - $0.value < interval }
        var due: [String] = []
        for endpoint in full {
            var window = fullSince[endpoint] ?? (now, 0)
            window.finished += completions[endpoint, default: 0]
            if now - window.since >= interval {
                if window.finished < keep, lastParked[endpoint] == nil {
                    lastParked[endpoint] = now
                    parkedHere.insert(endpoint)
                    due.append(endpoint)
                }
                window = (now, 0)
            }
            fullSince[endpoint] = window
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
