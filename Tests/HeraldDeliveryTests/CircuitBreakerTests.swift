import HeraldCore
import HeraldDelivery
import HeraldTesting
import Testing

/// The circuit breaker in the dispatcher: a run of failures stops sending to the endpoint, one probe after the
/// cool-down, and its success lets the rest through, none of them having spent an attempt while they waited.
@Suite struct CircuitBreakerTests {
    @Test func failuresInARowOpenTheBreakerAndASuccessfulProbeClosesIt() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.maxConcurrencyPerEndpoint = 1
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { index, path in
            path == "/ops" ? .init(.noContent) : (index < 3 ? .init(.internalServerError) : .init(.noContent))
        }
        try await receiver.run { base in
            let (operational, _) = try await OperationalWebhooks.setUp(
                store: harness.store,
                url: base + "/ops",
                secret: .generate(.hmac),
                clock: harness.clock
            )
            let policy = EndpointPolicy(retrySchedule: [1_000], circuitBreaker: CircuitBreakerPolicy(failureThreshold: 3, cooldownSeconds: 10))
            let endpoint = try await harness.addEndpoint(url: base + "/flaky", policy: policy)
            var messages: [Message] = []
            for _ in 0..<6 { messages.append(try await harness.send()) }
            let sent = messages
            try await harness.withDispatcher(operational: operational) { dispatcher in
                await dispatcher.untilIdle()
                // Three failures in a row, then nothing more: the one claimed behind them went back unsent.
                #expect(receiver.requests(to: "/flaky").count == 3)
                let gate = try await harness.store.deliveryGate(key: endpoint.id)
                #expect(gate?.breaker == .open)
                let opened = await receiver.waitFor(1, to: "/ops")
                #expect(opened.compactMap { JSONValue(bytes: $0.body)?["type"]?.string } == ["endpoint.circuit.opened"])
                harness.clock.advance(seconds: 9.9)
                dispatcher.wake()
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/flaky").count == 3)
                // Cooled down: one probe, which succeeds and closes the breaker; then the rest.
                harness.clock.advance(seconds: 0.1)
                dispatcher.wake()
                #expect(await receiver.waitFor(6, to: "/flaky").count == 6)
                #expect(await receiver.waitFor(2, to: "/ops").count == 2)
                await dispatcher.untilIdle()
                let closedGate = try await harness.store.deliveryGate(key: endpoint.id)
                #expect(closedGate?.breaker == .closed)
            }
            let types = receiver.requests(to: "/ops").compactMap { JSONValue(bytes: $0.body)?["type"]?.string }
            #expect(types == ["endpoint.circuit.opened", "endpoint.circuit.closed"])
            let closed = try #require(receiver.requests(to: "/ops").last.flatMap { JSONValue(bytes: $0.body) })
            #expect(closed["data"]?["endpointId"]?.string == endpoint.id)
            // The three that failed wait for their retry; the others were delivered on their first attempt.
            for message in sent.prefix(3) { #expect(try await harness.attempts(of: message).map(\.status) == [.fail]) }
            for message in sent.dropFirst(3) { #expect(try await harness.attempts(of: message).map(\.status) == [.success]) }
        }
    }

    @Test func aFailedProbeOpensItAgainAndATurnedOffBreakerNeverOpens() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.maxConcurrencyPerEndpoint = 1
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { index, path in
            path == "/off" || index < 3 ? .init(.serviceUnavailable) : .init(.noContent)
        }
        try await receiver.run { base in
            let breaker = CircuitBreakerPolicy(failureThreshold: 2, cooldownSeconds: 10)
            let flaky = try await harness.addEndpoint(url: base + "/flaky", policy: EndpointPolicy(retrySchedule: [1_000], circuitBreaker: breaker))
            var off = breaker
            off.enabled = false
            try await harness.addEndpoint(url: base + "/off", policy: EndpointPolicy(retrySchedule: [1_000], circuitBreaker: off))
            for _ in 0..<5 { try await harness.send() }
            try await harness.withDispatcher { dispatcher in
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/flaky").count == 2)
                #expect(receiver.requests(to: "/off").count == 5)
                // The probe fails (the third 503): open for another cool-down.
                harness.clock.advance(seconds: 10)
                dispatcher.wake()
                #expect(await receiver.waitFor(3, to: "/flaky").count == 3)
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/flaky").count == 3)
                let gate = try await harness.store.deliveryGate(key: flaky.id)
                #expect(gate?.breaker == .open)
                harness.clock.advance(seconds: 10)
                dispatcher.wake()
                #expect(await receiver.waitFor(5, to: "/flaky").count == 5)
            }
        }
    }

    @Test func failedProbesCountTowardAutoDisableAsExhaustedDeliveriesWould() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.maxConcurrencyPerEndpoint = 1
        settings.disableAfterSeconds = 60
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { _, _ in .init(.internalServerError) }
        try await receiver.run { base in
            let breaker = CircuitBreakerPolicy(failureThreshold: 1, cooldownSeconds: 10)
            let endpoint = try await harness.addEndpoint(url: base + "/dead", policy: EndpointPolicy(retrySchedule: [1_000], circuitBreaker: breaker))
            for _ in 0..<3 { try await harness.send() }
            try await harness.withDispatcher { dispatcher in
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/dead").count == 1)
                // The first failed probe starts the auto-disable clock; one failing after it ran out disables.
                harness.clock.advance(seconds: 10)
                dispatcher.wake()
                #expect(await receiver.waitFor(2, to: "/dead").count == 2)
                await dispatcher.untilIdle()
                harness.clock.advance(seconds: 61)
                dispatcher.wake()
                #expect(await receiver.waitFor(3, to: "/dead").count == 3)
                await dispatcher.untilIdle()
                let stored = try await harness.store.endpoint(appID: endpoint.appID, idOrUID: endpoint.id)
                #expect(stored?.disabled == true)
            }
        }
    }
}
