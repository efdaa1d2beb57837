import Foundation
import HeraldCore
import HeraldDelivery
import HeraldTesting
import Testing

@Suite struct OperationalWebhookTests {
    static func events(_ receiver: LoopbackReceiver) -> [JSONValue] {
        receiver.requests(to: "/ops").compactMap { JSONValue(bytes: $0.body) }
    }

    @Test func goneSendsDisabledAndExhaustedToTheOperator() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver { _, path in path == "/ops" ? .init(.noContent) : .init(.gone) }
        try await receiver.run { base in
            let operatorSecret = EndpointSecret.generate(.hmac)
            let (operational, _) = try await OperationalWebhooks.setUp(
                store: harness.store,
                url: base + "/ops",
                secret: operatorSecret,
                clock: harness.clock
            )
            let endpoint = try await harness.addEndpoint(url: base + "/gone")
            let message = try await harness.send()
            try await harness.withDispatcher(operational: operational) { _ in
                let arrived = await receiver.waitFor(2, to: "/ops")
                #expect(arrived.count == 2)
                let types = Set(Self.events(receiver).compactMap { $0["type"]?.string })
                #expect(types == ["endpoint.disabled", "message.attempt.exhausted"])
                let exhausted = try #require(Self.events(receiver).first { $0["type"]?.string == "message.attempt.exhausted" })
                #expect(exhausted["data"]?["msgId"]?.string == message.id)
                #expect(exhausted["data"]?["endpointId"]?.string == endpoint.id)
                #expect(exhausted["data"]?["orgId"]?.string == DeliveryHarness.orgID)
                #expect(exhausted["data"]?["lastAttempt"]?["responseStatusCode"]?.int == 410)
                // Signed like any other webhook, with the operator's key.
                let request = try #require(arrived.first)
                let timestamp = try #require(request.header("webhook-timestamp").flatMap { Int64($0) })
                let expected = WebhookSigner.signature(
                    messageID: try #require(request.header("webhook-id")),
                    timestamp: timestamp,
                    body: request.body,
                    secrets: [operatorSecret]
                )
                #expect(request.header("webhook-signature") == expected)
            }
        }
    }

    @Test func failingOnTheFourthAttemptThenRecovered() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.retryPolicy = RetryPolicy(schedule: [1, 1, 1, 1, 1], jitter: 0)
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { index, path in
            path == "/ops" ? .init(.noContent) : (index < 4 ? .init(.internalServerError) : .init(.ok))
        }
        try await receiver.run { base in
            let (operational, _) = try await OperationalWebhooks.setUp(
                store: harness.store,
                url: base + "/ops",
                secret: .generate(.hmac),
                clock: harness.clock
            )
            try await harness.addEndpoint(url: base + "/recovering")
            let message = try await harness.send()
            try await harness.withDispatcher(operational: operational) { dispatcher in
                for expected in 1...5 {
                    // Move the clock only once the attempt is recorded, so the retry is scheduled from the old time.
                    let recorded = try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == expected }
                    #expect(recorded)
                    harness.clock.advance(seconds: 1.5)
                    dispatcher.wake()
                }
                await receiver.waitFor(2, to: "/ops")
                let types = Self.events(receiver).compactMap { $0["type"]?.string }
                #expect(types.sorted() == ["message.attempt.failing", "message.attempt.recovered"])
            }
        }
    }
}
