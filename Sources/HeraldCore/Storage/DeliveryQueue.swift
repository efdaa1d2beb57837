import Logging

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
    /// When the earliest waiting delivery falls due, if any.
    func nextDueTime() async throws -> Timestamp?
    /// Makes every delivery leased by `owner` due at once (called at start by a process that owns the database alone).
    func releaseLeases(owner: String?, now: Timestamp) async throws
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

/// Filters of attempt listings.
public struct AttemptQuery: Sendable, Hashable {
    public var page: PageRequest
    /// Bounds on the attempt id (`ListWindow` with the `atmpt_` prefix).
    public var idRange: IDRange
    public var endpointID: String?
    public var messageID: String?
    public var status: MessageStatus?
    /// 0, 100, …, 500: the hundreds of the response code (0 means no response).
    public var statusCodeClass: Int?
    public var eventTypes: [String]?
    public var channel: String?

    public init(
        page: PageRequest,
        idRange: IDRange,
        endpointID: String? = nil,
        messageID: String? = nil,
        status: MessageStatus? = nil,
        statusCodeClass: Int? = nil,
        eventTypes: [String]? = nil,
        channel: String? = nil
    ) {
        self.page = page
        self.idRange = idRange
        self.endpointID = endpointID
        self.messageID = messageID
        self.status = status
        self.statusCodeClass = statusCodeClass
        self.eventTypes = eventTypes
        self.channel = channel
    }
}

/// Counts of an endpoint's deliveries by state.
public struct EndpointStats: Sendable, Hashable {
    public var success: Int
    public var pending: Int
    public var sending: Int
    public var fail: Int

    public init(success: Int, pending: Int, sending: Int, fail: Int) {
        self.success = success
        self.pending = pending
        self.sending = sending
        self.fail = fail
    }

    /// From counts of deliveries by their stored status.
    public init(counts: [MessageStatus: Int]) {
        self.init(
            success: counts[.success, default: 0],
            pending: counts[.pending, default: 0],
            sending: counts[.sending, default: 0],
            fail: counts[.fail, default: 0]
        )
    }
}

/// The attempt log and per-destination state, as the API lists them.
public protocol AttemptStore: Sendable {
    func listAttempts(appID: String, query: AttemptQuery) async throws -> Page<Attempt>
    func attempt(appID: String, messageID: String, attemptID: String) async throws -> Attempt?
    func expungeAttemptResponse(appID: String, attemptID: String) async throws
    /// Messages queued for an endpoint, newest first, each with its delivery state.
    func listAttemptedMessages(
        appID: String,
        endpointID: String,
        query: MessageQuery,
        status: MessageStatus?
    ) async throws -> Page<(Message, DestinationState)>
    /// Endpoints a message was queued for (deleted ones included), by endpoint id, each with its delivery state.
    func listAttemptedDestinations(appID: String, messageID: String, page: PageRequest) async throws -> Page<(Endpoint, DestinationState)>
    func endpointStats(endpointID: String, since: Timestamp, until: Timestamp) async throws -> EndpointStats
    /// Queues one manual attempt of a message to an endpoint, due now.
    func enqueueManualAttempt(appID: String, messageID: String, endpointID: String, now: Timestamp) async throws
    /// Re-queues an endpoint's failed deliveries of messages created in `[since, until)`; returns how many.
    func recoverFailedDeliveries(endpointID: String, since: Timestamp, until: Timestamp, now: Timestamp) async throws -> Int
}

/// Claimed rows turned into tasks one by one: a row that cannot be read (an endpoint secret that does not open for its
/// row, say) is left out and reported, and stays leased until its lease runs out, so it never stops the other
/// tenants' deliveries that share its claim.
public enum ClaimedRows {
    public static func tasks<Row>(_ rows: [Row], logger: Logger, _ task: (Row) throws -> DeliveryTask) -> [DeliveryTask] {
        rows.compactMap { row in
            do {
                return try task(row)
            } catch {
                logger.error(
                    "a claimed delivery cannot be read; it is skipped until its lease runs out",
                    metadata: ["herald.error": "\(String(reflecting: error))"]
                )
                return nil
            }
        }
    }
}
