/// The durable queue of deliveries the dispatcher works from.
///
/// Deliveries are written with their message (fan-out in one transaction). A claim leases rows until `leaseUntil`;
/// a lease that runs out (its holder died) makes the row due again, so nothing accepted is ever dropped.
public protocol DeliveryQueue: Sendable {
    /// Signalled when deliveries become due: after fan-out, resend or recover, in this process or (PostgreSQL) another.
    var newWork: WorkSignal { get }
    /// Leases up to `limit` due deliveries for `owner`, oldest due first, and no more of one endpoint's than its
    /// `room` (so one endpoint's backlog neither crowds out the others nor is claimed only to be handed back).
    func claimDeliveries(
        limit: Int,
        now: Timestamp,
        leaseUntil: Timestamp,
        owner: String,
        room: EndpointRoom
    ) async throws
        -> [DeliveryTask]
    /// Records the attempt and the delivery's next state in one transaction; ignored if `owner` no longer holds the lease.
    func completeDelivery(
        _ task: DeliveryTask,
        result: DeliveryResult,
        owner: String,
        now: Timestamp,
        disableAfterSeconds: Int64
    ) async throws -> DeliveryEffects
    /// When the earliest waiting (unparked) delivery that claims may take falls due, if any: a delivery whose
    /// endpoint or application is closed (`DeliveryGate`) counts from when that opens.
    func nextDueTime(now: Timestamp) async throws -> Timestamp?
    /// Reserves send times for claimed deliveries against their endpoints' and applications' throttle rates, in one
    /// transaction over the shared gates (`ThrottlePlanner`); returns, per request, the times granted to its first
    /// deliveries.
    func reserveSends(_ requests: [ThrottlePlanner.Request], now: Timestamp) async throws -> [[Timestamp]]
    /// Closes the endpoint for a while: its receiver asked to slow down (`SlowDown`). Returns when it opens again.
    func slowDown(endpointID: String, retryAfterSeconds: Double?, now: Timestamp) async throws -> Timestamp
    /// Opens the endpoint's circuit breaker until `until` (`Breaker.open`); returns whether it was closed before.
    func openBreaker(endpointID: String, until: Timestamp) async throws -> Bool
    /// Takes the endpoint's probe (`Breaker.probe`); returns whether this caller holds it.
    func startProbe(endpointID: String, now: Timestamp, leaseUntil: Timestamp) async throws -> Bool
    /// Closes the endpoint's circuit breaker (`Breaker.close`); returns whether it was open or probing.
    func closeBreaker(endpointID: String, now: Timestamp) async throws -> Bool
    /// The gate of an endpoint or application, if one was ever stored.
    func deliveryGate(key: String) async throws -> DeliveryGate?
    /// Hands claimed deliveries back unattempted (their attempt count unchanged), due at `at`; only those `owner`
    /// still leases.
    func deferDeliveries(_ deliveryIDs: [Int64], owner: String, at: Timestamp) async throws
    /// Parks the endpoint's due deliveries beyond its `keep` oldest: claims no longer read them (so they cost
    /// other endpoints nothing) until `releaseParked` lets them back, in order.
    func parkBacklog(endpointID: String, keep: Int, now: Timestamp) async throws
    /// Lets parked deliveries back, up to `keep` waiting per endpoint, for every endpoint whose waiting ones are down
    /// to half that; returns how many. Any instance releases what any parked.
    func releaseParked(keep: Int, now: Timestamp) async throws -> Int
    /// Lists for the sweep every endpoint among the `limit` after `endpointID` (in id order) that has parked
    /// deliveries while neither listed nor ordered: stranded by a race on PostgreSQL (a message stored parked for an
    /// ordered endpoint as it stopped being ordered). Returns the last endpoint looked at, nil past the last one.
    func relistStrandedParked(after endpointID: String, limit: Int, now: Timestamp) async throws -> String?
    /// Lets the endpoint's `count` oldest parked deliveries back (its waiting ones ran out); returns how many.
    func releaseParked(endpointID: String, count: Int) async throws -> Int
    /// How many deliveries wait, are being sent and wait for a retry now, over every tenant (for the metrics).
    func queueDepth(now: Timestamp) async throws -> QueueDepth
    /// Makes every delivery leased by `owner` due at once (called at start by a process that owns the database alone).
    func releaseLeases(owner: String?, now: Timestamp) async throws
    /// Leases deliveries to `taker` as their messages are stored, from now on. A backend whose claims cost no round
    /// trip has nothing to gain and ignores it.
    func leaseOnAcceptance(to taker: any AcceptedDeliveryTaker)
    /// No longer leases deliveries to `taker` as their messages are stored (if it still does).
    func stopLeasingOnAcceptance(to taker: any AcceptedDeliveryTaker)
}

extension DeliveryQueue {
    public func leaseOnAcceptance(to taker: any AcceptedDeliveryTaker) {}
    public func stopLeasingOnAcceptance(to taker: any AcceptedDeliveryTaker) {}
}

/// How many more deliveries of each endpoint one dispatcher may claim: `cap` at a time, less those it holds already.
public struct EndpointRoom: Sendable, Hashable {
    public var cap: Int
    /// Deliveries claimed and not yet finished, per endpoint id; an endpoint not listed has none.
    public var claimed: [String: Int]
    /// Most deliveries one application may have claimed at once (its endpoints together), so no tenant takes every slot.
    public var appCap: Int
    /// Deliveries claimed and not yet finished, per application id.
    public var claimedByApp: [String: Int]

    public init(cap: Int, claimed: [String: Int] = [:], appCap: Int = .max, claimedByApp: [String: Int] = [:]) {
        self.cap = cap
        self.claimed = claimed
        self.appCap = appCap
        self.claimedByApp = claimedByApp
    }

    /// Endpoints with no room left: a claim passes over their deliveries.
    public var full: [String] { claimed.compactMap { $0.value >= cap ? $0.key : nil } }
    /// Endpoints holding some deliveries, with room for more.
    public var busy: [String: Int] { claimed.filter { $0.value < cap } }
    /// Applications with no room left.
    public var fullApps: [String] { claimedByApp.compactMap { $0.value >= appCap ? $0.key : nil } }
    /// Applications holding some deliveries, with room for more.
    public var busyApps: [String: Int] { claimedByApp.filter { $0.value < appCap } }
    /// `appCap` as the statements bind it.
    public var appCapBound: Int64 { Int64(clamping: appCap) }
}

/// The queue as it stands, for `herald_queue_*`.
public struct QueueDepth: Sendable, Hashable {
    /// Due now and not held by a live lease.
    public var due: Int
    /// Held by a lease that has not run out: being sent, or about to be.
    public var inFlight: Int
    /// Failed at least once, waiting for the next try.
    public var retrying: Int

    public init(due: Int, inFlight: Int, retrying: Int) {
        self.due = due
        self.inFlight = inFlight
        self.retrying = retrying
    }
}
