import HeraldCore
import Synchronization

/// Values looked up in the last second — applications by org and id or uid, sources by ingest token — so a client
/// sending many requests naming one does not read it from the database each time. Any change clears the cache: one
/// made here at once, one made on another instance sharing the database when its news arrives (`SharedChangeNews`);
/// the cache answers only while `answers` holds (for applications on a shared database: while news are followed).
final class RecentLookups<Value: Sendable>: Sendable {
    static var capacity: Int { 4096 }
    static var ttlMilliseconds: Int64 { 1000 }

    private let answers: @Sendable () -> Bool
    private let entries = Mutex<(values: [String: (value: Value, cachedAt: Timestamp)], generation: Int)>(([:], 0))

    /// Changes with every `invalidateAll`: a value read from the database before it must not be stored after it.
    var generation: Int { entries.withLock { $0.generation } }

    init(answersWhile answers: @escaping @Sendable () -> Bool = { true }) {
        self.answers = answers
    }

    func lookup(_ key: String, now: Timestamp) -> Value? {
        guard answers() else { return nil }
        return entries.withLock { entries in
            guard let entry = entries.values[key] else { return nil }
            // A time ahead of `now` (the wall clock stepped back) is not recent either.
            let age = now.milliseconds(since: entry.cachedAt)
            guard age >= 0, age <= Self.ttlMilliseconds else {
                entries.values[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Keeps `value`, read while the cache was at `generation` (nil: now), unless it was invalidated since.
    func store(_ value: Value, as key: String, now: Timestamp, readAt generation: Int? = nil) {
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
