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
    /// Queues one manual attempt of a message to an endpoint, due now; false if the message is gone (retention).
    @discardableResult
    func enqueueManualAttempt(appID: String, messageID: String, endpointID: String, now: Timestamp) async throws -> Bool
    /// Re-queues an endpoint's failed deliveries of messages created in `[since, until)`; returns how many.
    func recoverFailedDeliveries(endpointID: String, since: Timestamp, until: Timestamp, now: Timestamp) async throws -> Int
}
