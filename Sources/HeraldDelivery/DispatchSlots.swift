import HeraldCore

/// The dispatcher's bookkeeping of claimed deliveries: those being sent, and those claimed ahead for an endpoint at
/// its cap, which wait for one of its requests to end.
///
/// Claiming ahead keeps a busy endpoint's slots full: a request that ends hands its slot straight to the next waiting
/// delivery of the same endpoint, with no claim (a database write) in between. Every claimed delivery counts against
/// `maxInFlight`, so a waiting one never waits for another endpoint; and at most `maxPerEndpoint` wait per endpoint,
/// so each starts within one request's time of its claim.
struct DispatchSlots {
    let maxInFlight: Int
    let maxPerEndpoint: Int
    /// Most deliveries one application may hold claimed (sending or waiting), whatever its number of endpoints.
    let maxPerApplication: Int
    private var claimedPerApplication: [String: Int] = [:]
    /// Deliveries being sent.
    private(set) var sending = 0
    private var sendingTo: [String: Int] = [:]
    private var waiting: [String: [DeliveryTask]] = [:]
    private(set) var waitingCount = 0

    init(maxInFlight: Int, maxPerEndpoint: Int, maxPerApplication: Int = .max) {
        self.maxInFlight = maxInFlight
        self.maxPerEndpoint = maxPerEndpoint
        self.maxPerApplication = maxPerApplication
    }

    /// How many deliveries a claim may take now.
    var claimLimit: Int { maxInFlight - sending - waitingCount }

    /// How many more a claim may take per endpoint: a cap's worth being sent and a cap's worth waiting.
    var room: EndpointRoom {
        var taken = sendingTo
        for (endpoint, tasks) in waiting { taken[endpoint, default: 0] += tasks.count }
        return EndpointRoom(cap: 2 * maxPerEndpoint, claimed: taken, appCap: maxPerApplication, claimedByApp: claimedPerApplication)
    }

    /// Takes newly claimed deliveries (within `room`): returns those to send now; the others wait their turn.
    mutating func admit(_ tasks: [DeliveryTask]) -> [DeliveryTask] {
        var start: [DeliveryTask] = []
        for task in tasks {
            claimedPerApplication[task.appID, default: 0] += 1
            if sendingTo[task.endpointID, default: 0] < maxPerEndpoint {
                sendingTo[task.endpointID, default: 0] += 1
                sending += 1
                start.append(task)
            } else {
                waiting[task.endpointID, default: []].append(task)
                waitingCount += 1
            }
        }
        return start
    }

    /// The request of `finished` ended. Returns the endpoint's next waiting delivery, which takes over the slot, or
    /// nil when none waits (or `stopping`) and the slot is free; and whether the loop should claim more for it
    /// (its waiting line fell to half a cap).
    mutating func next(after finished: DeliveryTask, stopping: Bool) -> (task: DeliveryTask?, refill: Bool) {
        let endpointID = finished.endpointID
        let remainingForApplication = claimedPerApplication[finished.appID, default: 1] - 1
        claimedPerApplication[finished.appID] = remainingForApplication > 0 ? remainingForApplication : nil
        if !stopping, var line = waiting[endpointID], !line.isEmpty {
            let task = line.removeFirst()
            waiting[endpointID] = line.isEmpty ? nil : line
            waitingCount -= 1
            return (task, line.count == maxPerEndpoint / 2)
        }
        sending -= 1
        let remaining = sendingTo[endpointID, default: 1] - 1
        sendingTo[endpointID] = remaining > 0 ? remaining : nil
        return (nil, true)
    }
}
