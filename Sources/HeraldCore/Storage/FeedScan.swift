/// How every backend reads a feed: it scans entries in order — a bounded number, whatever the filters — and keeps
/// those that match, so that a read with filters still moves its position past the entries it passed over.
public struct FeedScan: Sendable {
    public let query: FeedQuery

    public init(query: FeedQuery) {
        self.query = query
    }

    /// Entries a backend reads for one page: a few pages' worth, so filters can pass over some.
    public var scanLimit: Int { max(query.limit * 4, 200) }

    /// The page out of `scanned` (entries in order after `query.after`, at most `scanLimit`).
    public func select(from scanned: [FeedEntry]) -> FeedPage {
        var entries: [FeedEntry] = []
        var reached = query.after
        var examined = 0
        for entry in scanned {
            guard entries.count < query.limit else { break }
            reached = entry.position
            examined += 1
            if matches(entry.message) { entries.append(entry) }
        }
        return FeedPage(entries: entries, reached: reached, done: examined == scanned.count && scanned.count < scanLimit)
    }

    func matches(_ message: Message) -> Bool {
        if let eventType = query.eventType, message.eventType != eventType { return false }
        if let channel = query.channel, !(message.channels ?? []).contains(channel) { return false }
        if let after = query.createdAfter, message.createdAt <= after { return false }
        return true
    }
}
