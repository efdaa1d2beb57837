import Testing

@testable import HeraldPostgres

/// When a PostgreSQL outage is logged: once at its start and once at its end, as seen through a pool of connections
/// that fail and succeed out of step with the database itself. Times are given, not read from a clock.
@Suite struct OutageJudgeTests {
    let zero = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { zero + .milliseconds(milliseconds) }

    func serving() -> OutageJudge {
        let judge = OutageJudge()
        judge.beginServing()
        return judge
    }

    /// A database unreachable at start fails the start (logged as such): no outage during which requests answer 503.
    @Test func beforeTheStoreServesAFailureIsNoOutage() {
        let judge = OutageJudge()
        #expect(judge.failedUnreachable(startedAt: at(0), now: at(10)) == .known)
        judge.beginServing()
        #expect(judge.failedUnreachable(startedAt: at(20), now: at(30)) == .outageStarted)
    }

    @Test func anOutageIsNewsOnceWhenItStartsAndOnceWhenItEnds() {
        let judge = serving()
        #expect(!judge.succeeded(startedAt: at(0), now: at(5)))
        #expect(judge.failedUnreachable(startedAt: at(10), now: at(20)) == .outageStarted)
        #expect(judge.failedUnreachable(startedAt: at(30), now: at(40)) == .known)
        #expect(judge.succeeded(startedAt: at(50), now: at(60)))
        #expect(!judge.succeeded(startedAt: at(70), now: at(80)))
    }

    /// The CI failure this was written for: an operation in flight when the primary was killed completed after the
    /// first failure; counting it as the end of the outage logged a second outage for the same failover.
    @Test func anOperationInFlightWhenTheOutageStartedDoesNotEndIt() {
        let judge = serving()
        #expect(judge.failedUnreachable(startedAt: at(10), now: at(20)) == .outageStarted)
        #expect(!judge.succeeded(startedAt: at(5), now: at(25)))
        #expect(judge.failedUnreachable(startedAt: at(30), now: at(15_000)) == .known)
        #expect(judge.succeeded(startedAt: at(15_100), now: at(15_200)))
    }

    /// A broken connection among working ones, or an overload: something succeeded while the failing operation ran.
    @Test func aFailureWhileOthersSucceedIsIsolatedAndLoggedAtMostOnceAMinute() {
        let judge = serving()
        #expect(!judge.succeeded(startedAt: at(0), now: at(10)))
        #expect(judge.failedUnreachable(startedAt: at(5), now: at(20)) == .isolated(unloggedBefore: 0))
        // Logged at most once a minute, with how many were not.
        #expect(!judge.succeeded(startedAt: at(21), now: at(22)))
        #expect(judge.failedUnreachable(startedAt: at(21), now: at(23)) == .known)
        #expect(judge.failedUnreachable(startedAt: at(21), now: at(24)) == .known)
        #expect(!judge.succeeded(startedAt: at(60_000), now: at(60_001)))
        #expect(judge.failedUnreachable(startedAt: at(59_000), now: at(60_100)) == .isolated(unloggedBefore: 2))
        #expect(judge.failedUnreachable(startedAt: at(60_200), now: at(60_300)) == .outageStarted)
    }

    /// Connections pooled before an outage and used after it fail for a while after the database is back; a new outage
    /// that starts inside that grace is logged once its failures outlast it.
    @Test func failuresJustAfterTheReturnAreNotANewOutageUntilTheGraceRunsOut() {
        let judge = serving()
        #expect(judge.failedUnreachable(startedAt: at(0), now: at(10)) == .outageStarted)
        #expect(judge.succeeded(startedAt: at(20), now: at(30)))
        #expect(judge.failedUnreachable(startedAt: at(40), now: at(1_000)) == .known)
        #expect(judge.failedUnreachable(startedAt: at(11_000), now: at(11_000)) == .outageStarted)
    }
}
