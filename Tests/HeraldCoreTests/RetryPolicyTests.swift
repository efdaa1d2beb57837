import HeraldCore
import Testing

@Suite struct RetryPolicyTests {
    @Test func delaysStayWithinTwentyPercentOfTheSchedule() {
        let policy = RetryPolicy()
        var random = SystemRandomNumberGenerator()
        for (attempt, base) in RetryPolicy.defaultSchedule.enumerated() {
            for _ in 0..<200 {
                let delay = policy.delay(afterFailedAttempt: attempt, throttled: false, retryAfter: nil, using: &random)!
                #expect(delay >= base * 0.8 && delay <= base * 1.2)
            }
        }
        #expect(policy.delay(afterFailedAttempt: 7, throttled: false, retryAfter: nil, using: &random) == nil)
        #expect(policy.maxAttempts == 8)
    }

    @Test func throttledAndRetryAfterAdjustTheBase() {
        let policy = RetryPolicy(jitter: 0)
        var random = SystemRandomNumberGenerator()
        #expect(policy.delay(afterFailedAttempt: 0, throttled: true, retryAfter: nil, using: &random) == 60)
        #expect(policy.delay(afterFailedAttempt: 0, throttled: false, retryAfter: 8, using: &random) == 8)
        #expect(policy.delay(afterFailedAttempt: 0, throttled: false, retryAfter: 1, using: &random) == 5)
        #expect(policy.delay(afterFailedAttempt: 0, throttled: false, retryAfter: 3600, using: &random) == 10)
        #expect(policy.delay(afterFailedAttempt: 1, throttled: true, retryAfter: 700, using: &random) == 600)
    }

    @Test func parsesTheScheduleSetting() {
        #expect(RetryPolicy(parsing: "1, 2.5,60")?.schedule == [1, 2.5, 60])
        #expect(RetryPolicy(parsing: "") == nil)
        #expect(RetryPolicy(parsing: "5,-1") == nil)
        #expect(RetryPolicy(parsing: "5,x") == nil)
        // Delays no time arithmetic can hold are refused when configured, not trapped on at the first retry.
        #expect(RetryPolicy(parsing: "5,1e16") == nil)
        #expect(RetryPolicy(parsing: "1e309") == nil)
    }

    @Test func matchingFollowsTheSvixRules() {
        #expect(EndpointMatching.matches(eventTypes: nil, channels: nil, eventType: "a", messageChannels: nil))
        #expect(!EndpointMatching.matches(eventTypes: ["b"], channels: nil, eventType: "a", messageChannels: nil))
        #expect(EndpointMatching.matches(eventTypes: nil, channels: nil, eventType: "a", messageChannels: ["x"]))
        #expect(!EndpointMatching.matches(eventTypes: nil, channels: ["x"], eventType: "a", messageChannels: nil))
        #expect(EndpointMatching.matches(eventTypes: ["a"], channels: ["x", "y"], eventType: "a", messageChannels: ["y"]))
        #expect(!EndpointMatching.matches(eventTypes: nil, channels: ["x"], eventType: "a", messageChannels: ["z"]))
    }

    /// Were the signal lost, the wait would last an hour and the time limit would fail the test.
    @Test(.timeLimit(.minutes(1))) func aSignalSentBeforeWaitingIsNotLost() async {
        let signal = WorkSignal()
        signal.signal()
        await signal.wait(timeout: .seconds(3600))
    }
}
