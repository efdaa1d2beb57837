import HeraldCore

/// The dispatcher's bookkeeping of claimed deliveries: those being sent, and those claimed ahead, which wait for a
/// slot of their endpoint or of their application.
///
/// Claiming ahead keeps a busy endpoint's slots full: a request that ends hands its slot straight to the next waiting
/// delivery of the same endpoint (or, failing that, of another endpoint of the same application), with no claim (a
/// database write) in between. Every claimed delivery counts against `maxInFlight`, so a waiting one never waits for
/// another tenant; at most `maxPerEndpoint` wait per endpoint, so each starts within one request's time of its claim.
///
/// An application sends at most `maxPerApplication` requests at once over all its endpoints and holds at most twice
/// that claimed: so one endpoint at its cap with a full line behind it (two `maxPerEndpoint`) leaves room for the
/// application's other endpoints, and one tenant's slow receivers leave the other tenants most of the slots.
struct DispatchSlots {
    let maxInFlight: Int
    let maxPerEndpoint: Int
    let maxPerApplication: Int
    /// Deliveries being sent.
    private(set) var sending = 0
    private var sendingTo: [String: Int] = [:]
    private var sendingFor: [String: Int] = [:]
    /// Deliveries claimed (sending or waiting) per application.
    private var claimedFor: [String: Int] = [:]
    private var waiting: [String: [DeliveryTask]] = [:]
    private(set) var waitingCount = 0
    /// Requests ended per endpoint since `takeCompletions()` (how fast an endpoint drains: `ParkingPace`).
    private var completions: [String: Int] = [:]
    /// Slots reserved for deliveries being stored with a lease for this dispatcher (`AcceptedDeliveryTaker`): they
    /// count as being sent, so that a claim meanwhile cannot take them.
    private(set) var reserved = 0
    private var reservedTo: [String: Int] = [:]
    private var reservedFor: [String: Int] = [:]
    /// The limit of the claim under way, until its deliveries are admitted: reservations meanwhile fit beside it.
    private var claimUnderWay = 0
    /// Whether the last claim may have left due deliveries for lack of room (`noteClaim`): only then does a slot coming
    /// free call for another claim. Otherwise every request ending in a steady flow cost a claim that found nothing
    /// (planned and run by the database); new work is announced, and retries and hand-backs wake the loop themselves.
    private(set) var roomMayHoldBackDue = true

    init(maxInFlight: Int, maxPerEndpoint: Int, maxPerApplication: Int = .max / 2) {
        self.maxInFlight = maxInFlight
        self.maxPerEndpoint = maxPerEndpoint
        self.maxPerApplication = maxPerApplication
    }

    /// Slots not taken by deliveries claimed, being sent or reserved.
    private var free: Int { maxInFlight - sending - waitingCount - reserved }

    /// Slots a claim leaves free for deliveries leased on acceptance while it runs (in a steady flow one is often under
    /// way), unless that would leave the claim few.
    private var acceptanceShare: Int { free > 4 * AcceptanceShare.slots ? AcceptanceShare.slots : 0 }

    /// How many deliveries a claim may take now.
    var claimLimit: Int { free - acceptanceShare }

    /// A claim of up to `limit` begins: until `admitClaimed`, reservations fit beside it.
    mutating func claiming(_ limit: Int) {
        claimUnderWay = max(0, limit)
    }

    /// Takes what the claim under way took (`admit`), and ends it.
    mutating func admitClaimed(_ tasks: [DeliveryTask]) -> [DeliveryTask] {
        claimUnderWay = 0
        return admit(tasks)
    }

    /// What a claim of up to `limit`, made with `room`, took (`taken`, or nil when it failed): whether due deliveries
    /// may have been left for lack of room — none was made, it took all it could, it passed over endpoints or
    /// applications with no room, or one it took for reached its cap (the claim passes over the rest of theirs). An
    /// endpoint whose backlog is parked here (`holdsParked`) is let back by a claim that finds its line run dry, so
    /// while one is, every slot coming free calls for a claim as before.
    mutating func noteClaim(limit: Int, room: EndpointRoom, taken: [DeliveryTask]?, holdsParked: Bool = false) {
        guard let taken, limit > 0, taken.count < limit, room.full.isEmpty, room.fullApps.isEmpty, !holdsParked else {
            roomMayHoldBackDue = true
            return
        }
        var byEndpoint = room.claimed
        var byApp = room.claimedByApp
        for task in taken {
            byEndpoint[task.endpointID, default: 0] += 1
            byApp[task.appID, default: 0] += 1
        }
        roomMayHoldBackDue =
            taken.contains { byEndpoint[$0.endpointID, default: 0] >= room.cap }
            || taken.contains { byApp[$0.appID, default: 0] >= room.appCap }
    }

    /// How many more a claim may take per endpoint (a cap's worth being sent and a cap's worth waiting) and per
    /// application (twice its cap).
    var room: EndpointRoom {
        var taken = sendingTo.merging(reservedTo, uniquingKeysWith: +)
        for (endpoint, tasks) in waiting { taken[endpoint, default: 0] += tasks.count }
        let takenByApp = claimedFor.merging(reservedFor, uniquingKeysWith: +)
        return EndpointRoom(cap: 2 * maxPerEndpoint, claimed: taken, appCap: 2 * maxPerApplication, claimedByApp: takenByApp)
    }

    /// Reserves a slot for a delivery about to be stored with a lease: only one that would start at once — the
    /// endpoint with no line and a sending slot free, the application too, counting every reservation, and room under
    /// `maxInFlight` beside the claim under way. That claim may still line deliveries up behind it (at most a cap's
    /// worth more than its room said, as it read the room before the reservation).
    mutating func reserve(endpointID: String, appID: String) -> Bool {
        guard free - claimUnderWay > 0,
            waiting[endpointID] == nil,
            sendingTo[endpointID, default: 0] + reservedTo[endpointID, default: 0] < maxPerEndpoint,
            sendingFor[appID, default: 0] + reservedFor[appID, default: 0] < maxPerApplication
        else { return false }
        reserved += 1
        reservedTo[endpointID, default: 0] += 1
        reservedFor[appID, default: 0] += 1
        return true
    }

    /// Gives a reservation back (its delivery was stored without a lease, or not at all, or is being admitted).
    mutating func unreserve(endpointID: String, appID: String) {
        guard reservedTo[endpointID, default: 0] > 0, reservedFor[appID, default: 0] > 0 else { return }
        reserved -= 1
        Self.decrement(&reservedTo, endpointID)
        Self.decrement(&reservedFor, appID)
    }

    /// Takes newly claimed deliveries (within `room`): returns those to send now; the others wait their turn.
    mutating func admit(_ tasks: [DeliveryTask]) -> [DeliveryTask] {
        var start: [DeliveryTask] = []
        for task in tasks {
            claimedFor[task.appID, default: 0] += 1
            if sendingTo[task.endpointID, default: 0] < maxPerEndpoint, sendingFor[task.appID, default: 0] < maxPerApplication {
                sendingTo[task.endpointID, default: 0] += 1
                sendingFor[task.appID, default: 0] += 1
                sending += 1
                start.append(task)
            } else {
                waiting[task.endpointID, default: []].append(task)
                waitingCount += 1
            }
        }
        return start
    }

    /// The request of `finished` ended. Returns the delivery that takes over its slot — the endpoint's next waiting
    /// one, else one of the same application waiting for an application slot — or nil when none waits (or
    /// `stopping`) and the slot is free; and whether the loop should claim more (a line fell to half a cap, or a slot
    /// came free, while the last claim may have left due deliveries for lack of room).
    mutating func next(after finished: DeliveryTask, stopping: Bool) -> (task: DeliveryTask?, refill: Bool) {
        completions[finished.endpointID, default: 0] += 1
        Self.decrement(&claimedFor, finished.appID)
        if !stopping, let task = takeWaiting(for: finished.endpointID) {
            return (task, roomMayHoldBackDue && (waiting[finished.endpointID]?.count ?? 0) == maxPerEndpoint / 2)
        }
        Self.decrement(&sendingTo, finished.endpointID)
        if !stopping,
            let other = waiting.first(where: { entry in
                entry.value.first?.appID == finished.appID && sendingTo[entry.key, default: 0] < maxPerEndpoint
            })?.key,
            let task = takeWaiting(for: other)
        {
            sendingTo[other, default: 0] += 1
            return (task, roomMayHoldBackDue)
        }
        Self.decrement(&sendingFor, finished.appID)
        sending -= 1
        return (nil, roomMayHoldBackDue)
    }

    /// Takes back every delivery waiting for the endpoint (to hand them back unsent).
    mutating func withdrawWaiting(for endpointID: String) -> [DeliveryTask] {
        let line = waiting.removeValue(forKey: endpointID) ?? []
        waitingCount -= line.count
        for task in line { Self.decrement(&claimedFor, task.appID) }
        return line
    }

    /// The requests ended per endpoint since the last call.
    mutating func takeCompletions() -> [String: Int] {
        defer { completions = [:] }
        return completions
    }

    private mutating func takeWaiting(for endpointID: String) -> DeliveryTask? {
        guard var line = waiting[endpointID], !line.isEmpty else { return nil }
        let task = line.removeFirst()
        waiting[endpointID] = line.isEmpty ? nil : line
        waitingCount -= 1
        return task
    }

    private static func decrement(_ counts: inout [String: Int], _ key: String) {
        let remaining = counts[key, default: 1] - 1
        counts[key] = remaining > 0 ? remaining : nil
    }
}

/// How many slots a claim leaves for deliveries leased on acceptance (`DispatchSlots`): about one message batch's share
/// (`AcceptanceLeases.maxPerBatch` on PostgreSQL).
enum AcceptanceShare {
    static let slots = 16
}
