/// Failures in a row of the dispatch loop's database work (the database away, its disk full). Without it a failing
/// claim was tried again within a millisecond and logged every time: thousands of error lines a second, and a core
/// spent, for as long as the disk stayed full (found by the soak, issue #20). Now the loop backs off, doubling from
/// 50 ms to 2 s, and the log says when a streak starts, once a minute while it lasts, and when it ends.
struct FailureStreak: Sendable {
    static let firstBackoff: Duration = .milliseconds(50)
    static let longestBackoff: Duration = .seconds(2)
    static let reminderEvery: Duration = .seconds(60)

    private(set) var failures = 0
    private var started: ContinuousClock.Instant?
    private var lastLogged: ContinuousClock.Instant?

    /// What to log about a failure.
    enum Report: Equatable {
        case started
        case stillFailing(failures: Int)
        case quiet
    }

    /// Counts a failure at `now`; says whether (and how) to log it.
    mutating func failed(at now: ContinuousClock.Instant) -> Report {
        failures += 1
        guard let lastLogged, started != nil else {
            started = now
            lastLogged = now
            return .started
        }
        guard now - lastLogged >= Self.reminderEvery else { return .quiet }
        self.lastLogged = now
        return .stillFailing(failures: failures)
    }

    /// Ends the streak, if one was running: how many failures it had and how long it lasted.
    mutating func succeeded(at now: ContinuousClock.Instant) -> (failures: Int, lasted: Duration)? {
        defer { self = FailureStreak() }
        guard let started, failures > 0 else { return nil }
        return (failures, now - started)
    }

    /// How long to wait before trying again: nothing outside a streak.
    var backoff: Duration {
        guard failures > 0 else { return .zero }
        let doublings = min(failures - 1, 6)
        return min(Self.firstBackoff * (1 << doublings), Self.longestBackoff)
    }
}
