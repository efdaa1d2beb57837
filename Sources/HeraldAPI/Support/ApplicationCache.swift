import HeraldCore
import Synchronization

/// Applications looked up in the last second, so a client sending many messages to one application does not read
/// it from the database each time. Any change to an application made here clears the cache; one made on another
/// instance is seen within `ttl`.
final class ApplicationCache: Sendable {
    static let capacity = 4096
    static let ttlMilliseconds: Int64 = 1000

    private let entries = Mutex<[String: (application: Application, cachedAt: Timestamp)]>([:])

    func lookup(orgID: String, idOrUID: String, now: Timestamp) -> Application? {
        entries.withLock { entries in
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
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[application.orgID + "|" + idOrUID] = (application, now)
        }
    }

    func invalidateAll() {
        entries.withLock { $0.removeAll() }
    }
}
