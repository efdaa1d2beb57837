import Synchronization

/// Decides when the database being unreachable is news, so an outage is logged once when it starts and once when it
/// ends — however many operations fail during it, and whatever connections it leaves broken in the pool.
///
/// - A failure starts an outage only if nothing succeeded while that operation ran, and not within `recoveryGrace` of
///   the database's return (connections pooled before the outage and used after it: silent). A new outage that starts
///   inside the grace is logged when its failures outlast it.
/// - A failure while other operations succeed is *isolated*: a connection the server closed, or an overloaded pool or
///   server (timeouts, too many connections). It answers 503 like any other and is logged at most once a minute, with
///   how many more there were.
/// - A success ends the outage only if its operation started after the outage did: an operation already in flight can
///   complete on the failing server as it goes down, which proves nothing about the next request.
final class OutageJudge: Sendable {
    typealias Instant = ContinuousClock.Instant

    static let recoveryGrace = Duration.seconds(10)
    static let isolatedLogInterval = Duration.seconds(60)

    /// What a failure means for the log.
    enum FailureVerdict: Equatable {
        /// The start of an outage: log it.
        case outageStarted
        /// A failure while the database answers others: log it, with how many were not logged since the last time.
        case isolated(unloggedBefore: Int)
        /// Nothing new: an outage already logged, the grace after one, an isolated failure logged recently, or the
        /// store still starting (its start reports it).
        case known
    }

    private struct State {
        /// Before the store serves, a failure is the start's to report (it fails: nothing would answer 503).
        var serving = false
        var unreachableSince: Instant?
        var lastSuccess: Instant?
        var lastRecovery: Instant?
        var lastIsolatedLog: Instant?
        var isolatedUnlogged = 0
    }

    private let state = Mutex(State())

    /// From now on, failures may be outages: the store has started.
    func beginServing() {
        state.withLock { $0.serving = true }
    }

    /// Records a success of an operation that started at `start`; true when it is the end of an outage. `now` is read
    /// under the lock when not given, so that racing calls see times in the order they record them.
    func succeeded(startedAt start: Instant, now given: Instant? = nil) -> Bool {
        state.withLock { state in
            let now = given ?? .now
            if state.lastSuccess.map({ $0 < now }) ?? true { state.lastSuccess = now }
            guard let since = state.unreachableSince, start >= since else { return false }
            state.unreachableSince = nil
            state.lastRecovery = now
            return true
        }
    }

    /// Judges an operation that started at `start` and found the database unavailable.
    func failedUnreachable(startedAt start: Instant, now given: Instant? = nil) -> FailureVerdict {
        state.withLock { state in
            let now = given ?? .now
            guard state.serving, state.unreachableSince == nil else { return .known }
            if let recovery = state.lastRecovery, now - recovery < Self.recoveryGrace { return .known }
            if let success = state.lastSuccess, success >= start {
                if let logged = state.lastIsolatedLog, now - logged < Self.isolatedLogInterval {
                    state.isolatedUnlogged += 1
                    return .known
                }
                defer { state.isolatedUnlogged = 0 }
                state.lastIsolatedLog = now
                return .isolated(unloggedBefore: state.isolatedUnlogged)
            }
            state.unreachableSince = now
            return .outageStarted
        }
    }
}
