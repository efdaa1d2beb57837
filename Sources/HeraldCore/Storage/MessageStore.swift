/// Filters of a message listing.
public struct MessageQuery: Sendable, Hashable {
    public var page: PageRequest
    /// Only these event types, when set.
    public var eventTypes: [String]?
    /// Only messages carrying this channel, when set.
    public var channel: String?
    /// Bounds on the message id, derived from `before`/`after` and the look-back window (see `MessageWindow`).
    public var idRange: IDRange

    public init(page: PageRequest, eventTypes: [String]? = nil, channel: String? = nil, idRange: IDRange) {
        self.page = page
        self.eventTypes = eventTypes
        self.channel = channel
        self.idRange = idRange
    }
}

/// An id interval `lower ≤ id < upper` for time-sortable ids.
public struct IDRange: Sendable, Hashable {
    public var lower: String
    public var upper: String

    public init(lower: String, upper: String) {
        self.lower = lower
        self.upper = upper
    }
}

/// Where messages and their payloads live.
public protocol MessageStore: Sendable {
    /// Stores a message durably with its deliveries, in one transaction: to every matching endpoint, or — for an
    /// example sent to one endpoint — a single manual delivery to `endpointID`. Throws 409 when the event id is taken.
    func createMessage(_ message: Message, onlyTo endpointID: String?) async throws
    /// The message with this id or event id, if any.
    func message(appID: String, idOrEventID: String) async throws -> Message?
    /// Lists messages newest first.
    func listMessages(appID: String, query: MessageQuery) async throws -> Page<Message>
    /// Deletes a message's payload, keeping the message.
    func expungeMessagePayload(appID: String, messageID: String) async throws
    /// Deletes up to `limit` payloads whose retention (`payloadRetentionPeriod`) ended by `now`, oldest first, with
    /// the idempotent replays that hold them; the messages stay. Returns how many it deleted.
    func expireDuePayloads(now: Timestamp, limit: Int) async throws -> Int
    /// Deletes up to `limit` of the oldest messages accepted before `cutoff` whose deliveries have all ended, with
    /// their deliveries, attempts (response bodies included), feed entries and kept responses. A message with a
    /// delivery still waiting or being retried stays until it ends. Returns how many messages it deleted.
    func pruneMessages(before cutoff: Timestamp, limit: Int) async throws -> Int
    /// Deletes idempotency keys past their expiry and token revocations of tokens that have expired anyway (neither
    /// can matter any more), and — given the retention cutoff — the kept answers of messages accepted before it,
    /// whatever expiry they were written with (an answer holds its message's payload, which must not outlive
    /// retention, even one written by an instance without it); returns how many rows.
    func sweepExpiredRecords(now: Timestamp, messagesBefore cutoff: Timestamp?) async throws -> Int
    /// Where the backend partitions messages and attempts by time (PostgreSQL): creates the partitions of the time
    /// ahead, each `widthSeconds` wide, and drops those wholly older than `cutoff` (when given) whose deliveries have
    /// all ended. Without partitions, nothing is done and every message before `cutoff` is left to `pruneMessages`.
    func maintainPartitions(now: Timestamp, cutoff: Timestamp?, widthSeconds: Int64) async throws -> PartitionUpkeep
}

extension MessageStore {
    public func maintainPartitions(now: Timestamp, cutoff: Timestamp?, widthSeconds: Int64) async throws -> PartitionUpkeep {
        PartitionUpkeep(rowsBefore: cutoff)
    }

    /// Stores a message and fans it out to every matching endpoint.
    public func createMessage(_ message: Message) async throws {
        try await createMessage(message, onlyTo: nil)
    }
}
