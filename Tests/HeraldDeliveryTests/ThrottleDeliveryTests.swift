import HTTPTypes
import HeraldCore
import HeraldDelivery
import HeraldTesting
import Testing

/// Throttle rates and slow-downs in the dispatcher. The clock stands still between steps, so what may be sent is
/// exact: a rate's burst plus what falls within the one-second reservation horizon, no more, until the clock moves.
@Suite struct ThrottleDeliveryTests {
    @Test func aThrottledEndpointGetsItsRateAndBurstWhileAnotherGetsEverything() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            // 20/s: a burst of 2, then one every 50 ms.
            try await harness.addEndpoint(url: base + "/throttled", throttleRate: 20)
            try await harness.addEndpoint(url: base + "/free")
            var messages: [Message] = []
            for _ in 0..<60 { messages.append(try await harness.send()) }
            let sent = messages
            try await harness.withDispatcher { dispatcher in
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/free").count == 60)
                // Reserved within a second of now: the burst of 2 and 20 more.
                #expect(receiver.requests(to: "/throttled").count == 22)
                // The next send is due 1.05 s on; at 1.1 s the following second's 22 go.
                harness.clock.advance(seconds: 1)
                dispatcher.wake()
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/throttled").count == 22)
                harness.clock.advance(seconds: 0.1)
                dispatcher.wake()
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/throttled").count == 44)
                harness.clock.advance(seconds: 1.1)
                dispatcher.wake()
                await dispatcher.untilIdle()
            }
            // Each message once, every delivery on its first attempt: what waited was never counted as tried.
            let ids = receiver.requests(to: "/throttled").compactMap { $0.header("webhook-id") }
            #expect(ids.count == 60 && Set(ids) == Set(sent.map(\.id)))
            for message in sent { #expect(try await harness.attempts(of: message).map(\.status) == [.success, .success]) }
        }
    }

    @Test func anApplicationsRateCapsAllItsEndpointsTogether() async throws {
        let harness = try await DeliveryHarness(applicationThrottleRate: 10)
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/a")
            try await harness.addEndpoint(url: base + "/b")
            for _ in 0..<30 { try await harness.send() }
            try await harness.withDispatcher { dispatcher in
                await dispatcher.untilIdle()
                // 10/s over both endpoints: one now and one every 100 ms for a second.
                #expect(receiver.requests.count == 11)
                harness.clock.advance(seconds: 1.1)
                dispatcher.wake()
                await dispatcher.untilIdle()
                #expect(receiver.requests.count == 22)
            }
        }
    }

    @Test func aReceiverAskingToSlowDownGetsNothingUntilRetryAfterAndWaitingDeliveriesKeepTheirAttempts() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.maxConcurrencyPerEndpoint = 1
        settings.retryPolicy = RetryPolicy(schedule: [5], jitter: 0)
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { index, _ in
            index == 0 ? .init(.tooManyRequests, headers: [.retryAfter: "5"]) : .init(.noContent)
        }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/busy")
            var messages: [Message] = []
            for _ in 0..<3 { messages.append(try await harness.send()) }
            let sent = messages
            try await harness.withDispatcher { dispatcher in
                await dispatcher.untilIdle()
                // The first answered 429; the one claimed behind it went back unsent, and nothing more was tried.
                #expect(receiver.requests(to: "/busy").count == 1)
                #expect(try await harness.attempts(of: sent[0]).count == 1)
                let waited = try await harness.attempts(of: sent[1]) + harness.attempts(of: sent[2])
                #expect(waited.isEmpty)
                harness.clock.advance(seconds: 4.9)
                dispatcher.wake()
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/busy").count == 1)
                harness.clock.advance(seconds: 0.1)
                dispatcher.wake()
                #expect(await receiver.waitFor(3, to: "/busy").count == 3)
                await dispatcher.untilIdle()
                // The 429'd delivery itself retries on its schedule (at least a minute after a 429).
                #expect(receiver.requests(to: "/busy").count == 3)
                harness.clock.advance(seconds: 55)
                dispatcher.wake()
                #expect(await receiver.waitFor(4, to: "/busy").count == 4)
            }
            for message in sent[1...] { #expect(try await harness.attempts(of: message).map(\.status) == [.success]) }
        }
    }
}
