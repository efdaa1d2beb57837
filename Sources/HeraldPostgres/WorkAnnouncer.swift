import Foundation
import Logging
import PostgresNIO

/// Sends `NOTIFY herald_work` after commits that queued deliveries, so idle dispatchers on every instance wake at
/// once. Announcements made while one is being sent collapse into the next, so a burst of messages costs a few
/// NOTIFYs rather than one per commit (NOTIFY takes a global lock at commit, so it stays out of the message's own
/// transaction). A lost announcement only delays work until the dispatcher's next poll. Each carries this instance's
/// `tag`, so that its own listening connection does not wake its dispatcher again: it did when it announced, and a
/// second wake-up would only cost an empty claim.
final class WorkAnnouncer: Sendable {
    static let channel = "herald_work"
    /// What this instance's announcements carry (other kinds of notification on the channel have prefixes of their
    /// own; announcements from versions before tags carry nothing, and wake everyone).
    let tag = "work:" + UUID().uuidString

    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func announce() {
        continuation.yield()
    }

    func run(client: PostgresClient, watchdog: DeadlineWatchdog, logger: Logger) async {
        for await _ in stream {
            do {
                try await watchdog.withDeadline(.seconds(5)) { try await client.run("SELECT pg_notify(\(Self.channel), \(self.tag))") }
            } catch {
                logger.debug("announcing new work failed", metadata: ["herald.error": "\(String(reflecting: error))"])
            }
        }
    }
}
