import Foundation
import PostgresNIO

/// The start refuses a database connection on which `LISTEN/NOTIFY` does not work: behind PgBouncer in transaction or
/// statement mode a `LISTEN` holds only for the one transaction, so other instances' announcements of new work would
/// be lost without an error (and the named prepared statements of the hot paths would fail at random). Session mode,
/// or a direct connection, passes.
public struct NotificationsDoNotArrive: Error, CustomStringConvertible {
    public var description: String {
        "LISTEN/NOTIFY does not work on this PostgreSQL connection: a notification sent at start did not arrive within"
            + " \(NotificationCheck.timeout). Behind PgBouncer, use pool_mode = session (transaction and statement modes"
            + " lose LISTEN and prepared statements), or connect to PostgreSQL directly."
    }
}

/// Notifications sent at start to check that they arrive on the listening connection.
enum NotificationCheck {
    static let timeout = Duration.seconds(5)
    static let prefix = "check:"

    static func payload() -> String { prefix + UUID().uuidString }
}

extension PostgresStore {
    /// Listens (the loop runs for as long as the store does), then sends a notification and waits until the listening
    /// connection has it.
    func checkNotificationsArrive() async throws {
        let deadline = ContinuousClock.now + NotificationCheck.timeout
        while !isListeningForWork {
            guard ContinuousClock.now < deadline else { throw NotificationsDoNotArrive() }
            try await Task.sleep(for: .milliseconds(20))
        }
        let payload = NotificationCheck.payload()
        awaitedCheck.withLock { $0 = payload }
        try await perform { client in
            try await client.query("SELECT pg_notify(\(WorkAnnouncer.channel), \(payload))").drain()
        }
        while awaitedCheck.withLock({ $0 != nil }) {
            guard ContinuousClock.now < deadline else { throw NotificationsDoNotArrive() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
