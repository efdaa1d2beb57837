import Testing

@testable import HeraldDelivery

/// Regression (found by the soak, issue #20): with the database's disk full, a failing claim was retried within a
/// millisecond and logged each time — thousands of lines a second.
@Suite struct FailureStreakTests {
    @Test func aStreakIsLoggedWhenItStartsOnceAMinuteAndWhenItEnds() {
        var streak = FailureStreak()
        let start = ContinuousClock.now
        #expect(streak.succeeded(at: start) == nil)
        #expect(streak.failed(at: start) == .started)
        for second in 1..<60 { #expect(streak.failed(at: start + .seconds(second)) == .quiet) }
        #expect(streak.failed(at: start + .seconds(60)) == .stillFailing(failures: 61))
        #expect(streak.failed(at: start + .seconds(61)) == .quiet)
        let ended = streak.succeeded(at: start + .seconds(90))
        #expect(ended?.failures == 62)
        #expect(ended?.lasted == .seconds(90))
        #expect(streak.succeeded(at: start + .seconds(91)) == nil)
        #expect(streak.failed(at: start + .seconds(92)) == .started)
    }

    @Test func theBackoffDoublesUpToTwoSecondsAndEndsWithTheStreak() {
        var streak = FailureStreak()
        #expect(streak.backoff == .zero)
        var waits: [Duration] = []
        for _ in 0..<9 {
            _ = streak.failed(at: .now)
            waits.append(streak.backoff)
        }
        #expect(waits == [50, 100, 200, 400, 800, 1600, 2000, 2000, 2000].map { Duration.milliseconds($0) })
        _ = streak.succeeded(at: .now)
        #expect(streak.backoff == .zero)
    }
}
