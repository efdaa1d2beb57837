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

/// Ordered delivery in the dispatcher: the receiver sees one message at a time, in order, however its failures fall
/// and whether or not Herald restarts in between.
@Suite struct OrderedDeliveryTests {
    @Test func messagesArriveInOrderAcrossAFailureARetryAndARestart() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver { index, _ in index == 0 || index == 3 ? .init(.internalServerError) : .init(.noContent) }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/ordered", policy: EndpointPolicy(retrySchedule: [5, 5], ordering: .fifo))
            var messages: [Message] = []
            for _ in 0..<5 { messages.append(try await harness.send()) }
            let sent = messages.map(\.id)
            try await harness.withDispatcher { dispatcher in
                await dispatcher.untilIdle()
                // The first failed; the others wait behind it through its retry.
                #expect(receiver.requests(to: "/ordered").count == 1)
                harness.clock.advance(seconds: 6)
                dispatcher.wake()
                // Delivered on its retry, then the next; the third fails and holds the last two back.
                #expect(await receiver.waitFor(4, to: "/ordered").count == 4)
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/ordered").count == 4)
            }
            // A new process: the order is in the database.
            harness.clock.advance(seconds: 6)
            try await harness.withDispatcher { dispatcher in
                #expect(await receiver.waitFor(7, to: "/ordered").count == 7)
                await dispatcher.untilIdle()
            }
            let order = receiver.requests(to: "/ordered").compactMap { $0.header("webhook-id") }
            #expect(order == [sent[0], sent[0], sent[1], sent[2], sent[2], sent[3], sent[4]])
        }
    }

    /// Each result makes the next delivery due, and the dispatcher claims it then — not at its next poll. With a poll
    /// an hour long and results slower to record than a claim (as on PostgreSQL), an ordered endpoint sent nothing
    /// else still gets its whole queue. (The soak found ordered endpoints on PostgreSQL going at the pace of whatever
    /// else woke the dispatcher: 3.5 deliveries a second.)
    @Test func eachResultLetsTheNextOrderedDeliveryGoWithoutWaitingForAPoll() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.pollIntervalMilliseconds = 3_600_000
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/ordered", policy: EndpointPolicy(ordering: .fifo))
            var messages: [Message] = []
            for _ in 0..<20 { messages.append(try await harness.send()) }
            let slowRecording = SlowRecordingQueue(base: harness.store, delay: .milliseconds(100))
            try await harness.withDispatcher(queue: slowRecording) { dispatcher in
                #expect(await receiver.waitFor(20, to: "/ordered", timeout: .seconds(60)).count == 20)
                await dispatcher.untilIdle()
            }
            let order = receiver.requests(to: "/ordered").compactMap { $0.header("webhook-id") }
            #expect(order == messages.map(\.id))
        }
    }
}
