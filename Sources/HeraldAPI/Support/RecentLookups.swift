import HeraldCore
import Synchronization

/// Values looked up in the last second — applications by org and id or uid, sources by ingest token — so a client
/// sending many requests naming one does not read it from the database each time. Any change made here clears the
/// cache. Disabled when several instances share the database (a change made on another must be seen at once).
final class RecentLookups<Value: Sendable>: Sendable {
    static var capacity: Int { 4096 }
    static var ttlMilliseconds: Int64 { 1000 }

    private let enabled: Bool
    private let entries = Mutex<[String: (value: Value, cachedAt: Timestamp)]>([:])

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func lookup(_ key: String, now: Timestamp) -> Value? {
        guard enabled else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard now.milliseconds - entry.cachedAt.milliseconds <= Self.ttlMilliseconds else {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    func store(_ value: Value, as key: String, now: Timestamp) {
        guard enabled else { return }
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (value, now)
        }
    }

    func invalidateAll() {
        entries.withLock { $0.removeAll() }
    }
}

/// A source found by its ingest token, with its application's organisation.
struct IngestTarget: Sendable {
    var source: Source
    var orgID: String
}
