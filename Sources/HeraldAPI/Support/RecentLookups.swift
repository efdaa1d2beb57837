import HeraldCore
import Synchronization

/// Values looked up in the last second — applications by org and id or uid, sources by ingest token — so a client
/// sending many requests naming one does not read it from the database each time. Any change made here clears the
/// cache. Disabled when several instances share the database (a change made on another must be seen at once).
final class RecentLookups<Value: Sendable>: Sendable {
    static var capacity: Int { 4096 }
    static var ttlMilliseconds: Int64 { 1000 }

    private let enabled: Bool
    private let entries = Mutex<(values: [String: (value: Value, cachedAt: Timestamp)], generation: Int)>(([:], 0))

    /// Changes with every `invalidateAll`: a value read from the database before it must not be stored after it.
    var generation: Int { entries.withLock { $0.generation } }

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func lookup(_ key: String, now: Timestamp) -> Value? {
        guard enabled else { return nil }
        return entries.withLock { entries in
            guard let entry = entries.values[key] else { return nil }
            guard now.milliseconds - entry.cachedAt.milliseconds <= Self.ttlMilliseconds else {
                entries.values[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Keeps `value`, read while the cache was at `generation` (nil: now), unless it was invalidated since.
    func store(_ value: Value, as key: String, now: Timestamp, readAt generation: Int? = nil) {
        guard enabled else { return }
        entries.withLock { entries in
            guard generation.map({ $0 == entries.generation }) ?? true else { return }
            if entries.values.count >= Self.capacity { entries.values.removeAll(keepingCapacity: true) }
            entries.values[key] = (value, now)
        }
    }

    func invalidateAll() {
        entries.withLock { entries in
            entries.values.removeAll()
            entries.generation &+= 1
        }
    }
}

/// A source found by its ingest token, with its application's organisation.
struct IngestTarget: Sendable {
    var source: Source
    var orgID: String
}
