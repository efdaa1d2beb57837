/// A place in a polling endpoint's feed, in commit order: `transaction` orders what different transactions committed
/// (0 on SQLite, whose single writer commits in `sequence` order; PostgreSQL's transaction id, read only once every
/// transaction before it has ended), `sequence` orders within it. A reader that has seen a position never later sees
/// a message committed before it — that is what makes a cursor safe under concurrent writers.
public struct FeedPosition: Sendable, Hashable, Comparable {
    public var transaction: Int64
    public var sequence: Int64

    public init(transaction: Int64, sequence: Int64) {
        self.transaction = transaction
        self.sequence = sequence
    }

    /// Before everything.
    public static let start = FeedPosition(transaction: 0, sequence: 0)

    public static func < (lhs: FeedPosition, rhs: FeedPosition) -> Bool {
        (lhs.transaction, lhs.sequence) < (rhs.transaction, rhs.sequence)
    }

    /// The opaque iterator clients see: `pi_` and both numbers in base 36.
    public var iterator: String {
        "pi_" + String(transaction, radix: 36) + "_" + String(sequence, radix: 36)
    }

    /// Reads an iterator made by `iterator`; nil for anything else.
    public init?(iterator: String) {
        guard iterator.hasPrefix("pi_") else { return nil }
        let parts = iterator.dropFirst(3).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, let transaction = Int64(parts[0], radix: 36), let sequence = Int64(parts[1], radix: 36),
            transaction >= 0, sequence >= 0
        else { return nil }
        self.init(transaction: transaction, sequence: sequence)
    }
}

/// One message in a polling endpoint's feed.
public struct FeedEntry: Sendable, Hashable {
    public var position: FeedPosition
    public var message: Message

    public init(position: FeedPosition, message: Message) {
        self.position = position
        self.message = message
    }
}

/// What a feed read found: the matching entries, the position it reached (past the entries filters passed over), and
/// whether it reached the end of what is committed now.
public struct FeedPage: Sendable, Hashable {
    public var entries: [FeedEntry]
    public var reached: FeedPosition
    public var done: Bool

    public init(entries: [FeedEntry], reached: FeedPosition, done: Bool) {
        self.entries = entries
        self.reached = reached
        self.done = done
    }
}

/// Filters of a feed read.
public struct FeedQuery: Sendable, Hashable {
    public var after: FeedPosition
    public var limit: Int
    public var eventType: String?
    public var channel: String?
    /// Only messages created after this time.
    public var createdAfter: Timestamp?

    public init(after: FeedPosition, limit: Int, eventType: String? = nil, channel: String? = nil, createdAfter: Timestamp? = nil) {
        self.after = after
        self.limit = limit
        self.eventType = eventType
        self.channel = channel
        self.createdAfter = createdAfter
    }
}

/// The feeds of polling endpoints (`poller://`): every message their filters match is appended at fan-out, in commit
/// order, and read by position. Consumers' positions are kept here too, so every instance continues where another
/// left off.
public protocol PollerStore: Sendable {
    /// Signalled after a commit that appended to a feed, here or (PostgreSQL) on another instance.
    var feedChanged: WorkSignal { get }
    /// Up to `query.limit` entries after `query.after` that match the filters, oldest first (see `FeedScan`).
    func readFeed(endpointID: String, query: FeedQuery) async throws -> FeedPage
    /// Where a consumer stands, if it has read before.
    func consumerPosition(endpointID: String, consumerID: String) async throws -> FeedPosition?
    func saveConsumerPosition(endpointID: String, consumerID: String, position: FeedPosition, now: Timestamp) async throws
    /// The position just before the first entry of a message created after `time`.
    func feedPosition(endpointID: String, before time: Timestamp) async throws -> FeedPosition
}
