import HeraldCore
import Testing

@testable import HeraldDelivery

/// A flapping breaker's operational webhooks are thinned to one opened/closed pair per minute per endpoint, and what
/// the operator saw last still matches the breaker once it settles.
@Suite struct BreakerNoticesTests {
    let start = Timestamp(milliseconds: 1_800_000_000_000)

    @Test func flappingWithinAMinuteIsAnnouncedOnce() {
        var notices = BreakerNotices()
        var said: Bool
        said = notices.opened("ep", now: start)
        #expect(said)
        said = notices.closed("ep")
        #expect(said)
        // Open and closed again and again within the minute: nothing more, in pairs.
        for second in 1...5 {
            said = notices.opened("ep", now: start.adding(seconds: Int64(second * 10)))
            #expect(!said)
            said = notices.closed("ep")
            #expect(!said)
        }
        // Another endpoint is announced on its own.
        said = notices.opened("other", now: start.adding(seconds: 1))
        #expect(said)
        // A minute after the last announcement, the next opening is announced again.
        said = notices.opened("ep", now: start.adding(seconds: 60))
        #expect(said)
        said = notices.closed("ep")
        #expect(said)
    }

    @Test func aWithheldOpeningThatLastsIsAnnouncedAtAFailedProbe() {
        var notices = BreakerNotices()
        var said: Bool
        said = notices.opened("ep", now: start)
        #expect(said)
        said = notices.closed("ep")
        #expect(said)
        said = notices.opened("ep", now: start.adding(seconds: 20))
        #expect(!said)
        // Probes failing within the minute say nothing yet; the first one after it announces the opening.
        said = notices.stillOpen("ep", now: start.adding(seconds: 50))
        #expect(!said)
        said = notices.stillOpen("ep", now: start.adding(seconds: 61))
        #expect(said)
        said = notices.stillOpen("ep", now: start.adding(seconds: 200))
        #expect(!said)
        // So its closing is announced too.
        said = notices.closed("ep")
        #expect(said)
        // A breaker announced when it opened says nothing more on its failed probes.
        said = notices.opened("ep", now: start.adding(seconds: 300))
        #expect(said)
        said = notices.stillOpen("ep", now: start.adding(seconds: 400))
        #expect(!said)
    }
}
