import Foundation
import PostgresNIO

/// The start refuses a database connection on which `LISTEN/NOTIFY` does not work: behind PgBouncer in transaction or
/// statement mode a `LISTEN` stays on whichever server connection ran it, which other clients then share, so other
/// instances' announcements of new work would be lost without an error (and, before PgBouncer 1.21, the named
/// prepared statements of the hot paths fail). Session mode, or a direct connection, passes.
public struct NotificationsDoNotArrive: Error, CustomStringConvertible {
    /// Whether the `LISTEN` itself succeeded (then the notification sent afterwards did not arrive).
    let listening: Bool

    public var description: String {
        guard listening else {
            return "LISTEN on PostgreSQL did not succeed within \(NotificationCheck.timeout) (see the warnings above)"
        }
        return "LISTEN/NOTIFY does not work on this PostgreSQL connection: a notification sent at start did not arrive"
            + " within \(NotificationCheck.timeout). Behind PgBouncer, use pool_mode = session (transaction and statement"
            + " modes lose LISTEN, and prepared statements before PgBouncer 1.21), or connect to PostgreSQL directly."
    }
}

/// Notifications sent at start to check that they arrive on the listening connection.
enum NotificationCheck {
    static let timeout = Duration.seconds(5)
    static let prefix = "check:"

    static func payload() -> String { prefix + UUID().uuidString }
}

extension PostgresStore {
    /// Waits for the listening loop (it runs for as long as the store does), then sends a notification and waits
    /// until the listening connection has it: each within `NotificationCheck.timeout`.
    func checkNotificationsArrive() async throws {
        var deadline = ContinuousClock.now + NotificationCheck.timeout
        while !isListeningForWork {
            guard ContinuousClock.now < deadline else { throw NotificationsDoNotArrive(listening: false) }
            try await Task.sleep(for: .milliseconds(20))
        }
        let payload = NotificationCheck.payload()
        awaitedCheck.withLock { $0 = payload }
        try await perform { client in
            try await client.run("SELECT pg_notify(\(WorkAnnouncer.channel), \(payload))")
        }
        deadline = ContinuousClock.now + NotificationCheck.timeout
        while awaitedCheck.withLock({ $0 != nil }) {
            guard ContinuousClock.now < deadline else { throw NotificationsDoNotArrive(listening: true) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
