import HeraldCore
import HeraldDelivery
import HeraldTesting
import Testing

/// An endpoint's delivery policy in the dispatcher: its own retry schedule and timeout, beside endpoints using the
/// server's.
@Suite struct DeliveryPolicyTests {
    @Test func anEndpointsRetryScheduleReplacesTheServersForItAlone() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.retryPolicy = RetryPolicy(schedule: [1000], jitter: 0)
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { _, _ in .init(.serviceUnavailable) }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/own", policy: EndpointPolicy(retrySchedule: [10, 20]))
            try await harness.addEndpoint(url: base + "/server")
            try await harness.addEndpoint(url: base + "/none", policy: EndpointPolicy(retrySchedule: []))
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 3 })
                // The own schedule's 10 s ± 20 % have passed; the server's 1000 s have not.
                harness.clock.advance(seconds: 12.5)
                #expect(await receiver.waitFor(2, to: "/own").count == 2)
                // Recorded before the clock moves on, so the next delay counts from now.
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 4 })
                harness.clock.advance(seconds: 25)
                #expect(await receiver.waitFor(3, to: "/own").count == 3)
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 5 })
                harness.clock.advance(seconds: 900)
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/own").count == 3)
                #expect(receiver.requests(to: "/server").count == 1)
                #expect(receiver.requests(to: "/none").count == 1)
                harness.clock.advance(seconds: 300)
                #expect(await receiver.waitFor(2, to: "/server").count == 2)
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 6 })
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/none").count == 1)
                let attempts = try await harness.attempts(of: message)
                #expect(attempts.count == 6)
            }
        }
    }

    @Test func anEndpointsTimeoutIsShorterThanTheServersButNeverLonger() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.requestTimeoutSeconds = 3
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { _, _ in .init(.ok, delay: .milliseconds(1800)) }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/short", policy: EndpointPolicy(timeoutSeconds: 1))
            try await harness.addEndpoint(url: base + "/server")
            try await harness.addEndpoint(url: base + "/capped", policy: EndpointPolicy(timeoutSeconds: 30))
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 3 })
                let attempts = try await harness.attempts(of: message)
                let byURL = Dictionary(uniqueKeysWithValues: attempts.map { ($0.url.split(separator: "/").last.map(String.init) ?? "", $0) })
                #expect(byURL["short"]?.response == "timed out")
                #expect(byURL["short"]?.responseStatusCode == 0)
                #expect(byURL["server"]?.responseStatusCode == 200)
                #expect(byURL["capped"]?.responseStatusCode == 200)
            }
        }
        // A receiver slower than the server's timeout is cut off at it, even under a policy asking for more.
        let slower = LoopbackReceiver { _, _ in .init(.ok, delay: .seconds(5)) }
        try await slower.run { base in
            try await harness.addEndpoint(url: base + "/long", policy: EndpointPolicy(timeoutSeconds: 30))
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 4 })
                let attempt = try await harness.attempts(of: message).first { $0.url.hasSuffix("/long") }
                #expect(attempt?.response == "timed out")
            }
        }
    }
}
