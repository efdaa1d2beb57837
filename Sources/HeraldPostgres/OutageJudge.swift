import Synchronization

/// Decides when the database being unreachable is news, so an outage is logged once when it starts and once when it
/// ends — however many operations fail during it, and whatever connections it leaves broken in the pool.
///
/// - A failure starts an outage only if nothing succeeded while that operation ran (otherwise its connection, not the
///   database, failed), and not within `recoveryGrace` of the database's return (connections pooled before the outage
///   and used after it). A new outage that starts inside the grace is logged when its failures outlast it.
/// - A success ends the outage only if its operation started after the outage did: an operation already in flight can
///   complete on the failing server as it goes down, which proves nothing about the next request.
final class OutageJudge: Sendable {
    typealias Instant = ContinuousClock.Instant

    static let recoveryGrace = Duration.seconds(10)

    private struct State {
        /// Before the store serves, a failure is the start's to report (it fails: nothing would answer 503).
        var serving = false
        var unreachableSince: Instant?
        var lastSuccess: Instant?
        var lastRecovery: Instant?
    }

    private let state = Mutex(State())

    /// From now on, failures may be outages: the store has started.
    func beginServing() {
        state.withLock { $0.serving = true }
    }

    /// Records a success of an operation that started at `start`; true when it is the end of an outage.
    func succeeded(startedAt start: Instant, now: Instant = .now) -> Bool {
        state.withLock { state in
            if state.lastSuccess.map({ $0 < now }) ?? true { state.lastSuccess = now }
            guard let since = state.unreachableSince, start >= since else { return false }
            state.unreachableSince = nil
            state.lastRecovery = now
            return true
        }
    }

    /// Records that an operation that started at `start` found the database unreachable; true when it is the start of
    /// an outage.
    func failedUnreachable(startedAt start: Instant, now: Instant = .now) -> Bool {
        state.withLock { state in
            guard state.serving, state.unreachableSince == nil else { return false }
            if let success = state.lastSuccess, success >= start { return false }
            if let recovery = state.lastRecovery, now - recovery < Self.recoveryGrace { return false }
            state.unreachableSince = now
            return true
        }
    }
}
