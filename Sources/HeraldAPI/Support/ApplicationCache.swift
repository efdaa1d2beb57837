import HeraldCore
import Synchronization

/// Applications looked up in the last second, so a client sending many messages to one application does not read
/// it from the database each time. Any change to an application made here clears the cache. Disabled when several
/// instances share the database (a change made on another must be seen at once).
final class ApplicationCache: Sendable {
    static let capacity = 4096
    static let ttlMilliseconds: Int64 = 1000

    private let enabled: Bool
    private let entries = Mutex<[String: (application: Application, cachedAt: Timestamp)]>([:])

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func lookup(orgID: String, idOrUID: String, now: Timestamp) -> Application? {
        guard enabled else { return nil }
        return entries.withLock { entries in
            let key = orgID + "|" + idOrUID
            guard let entry = entries[key] else { return nil }
            guard now.milliseconds - entry.cachedAt.milliseconds <= Self.ttlMilliseconds else {
                entries[key] = nil
                return nil
            }
            return entry.application
        }
    }

    func store(_ application: Application, as idOrUID: String, now: Timestamp) {
        guard enabled else { return }
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[application.orgID + "|" + idOrUID] = (application, now)
        }
    }

    func invalidateAll() {
        entries.withLock { $0.removeAll() }
    }
}
