import Crypto
import Foundation
import HeraldCore
import HeraldDelivery
import HeraldTesting
import Testing

@Suite struct DispatcherTests {
    @Test func deliversTheStoredBytesSignedWithBothHeaderSets() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/hook", headers: ["X-Tenant": "acme"])
            let payload = #"{ "amount" : 10.50, "currency": "EUR" }"#
            let message = try await harness.send(payload: payload)
            try await harness.withDispatcher { _ in
                let received = try #require(await receiver.waitFor(1, to: "/hook").first)
                #expect(received.body == Array(payload.utf8))
                #expect(received.header("content-type") == "application/json")
                #expect(received.header("user-agent") == "Herald/\(HeraldVersion.current)")
                #expect(received.header("x-tenant") == "acme")
                #expect(received.header("webhook-id") == message.id)
                #expect(received.header("svix-id") == message.id)
                let timestamp = try #require(received.header("webhook-timestamp").flatMap { Int64($0) })
                #expect(received.header("svix-timestamp") == String(timestamp))
                let expected = WebhookSigner.signature(
                    messageID: message.id,
                    timestamp: timestamp,
                    body: received.body,
                    secrets: [DeliveryHarness.secret]
                )
                #expect(received.header("webhook-signature") == expected)
                #expect(received.header("svix-signature") == expected)
            }
        }
    }

    @Test func failingTwiceThenSucceedingTakesThreeLoggedAttempts() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver { index, _ in index < 2 ? .init(.internalServerError, body: "boom \(index)") : .init(.ok, body: "fine") }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/flaky")
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                await receiver.waitFor(1, to: "/flaky")
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 1 })
                // The first retry is due 5 s ± 20 % later: not before 4 s, always by 6 s.
                harness.clock.advance(seconds: 3.9)
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/flaky").count == 1)
                harness.clock.advance(seconds: 2.2)
                await receiver.waitFor(2, to: "/flaky")
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 2 })
                harness.clock.advance(seconds: 361)
                #expect(await receiver.waitFor(3, to: "/flaky").count == 3)
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 3 })
                let attempts = try await harness.attempts(of: message)
                #expect(attempts.map(\.responseStatusCode) == [500, 500, 200])
                #expect(attempts.map(\.status) == [.fail, .fail, .success])
                #expect(attempts.map(\.response) == ["boom 0", "boom 1", "fine"])
                let stamps = Set(receiver.requests(to: "/flaky").compactMap { $0.header("webhook-id") })
                #expect(stamps == [message.id])
                let destinations = try await harness.store.listAttemptedDestinations(
                    appID: harness.application.id,
                    messageID: message.id,
                    page: PageRequest(order: .ascending)
                )
                #expect(destinations.items.first?.1.status == .success)
            }
        }
    }

    /// A receiver answering bytes no text column can hold (NUL) is recorded once, marked, beside a healthy endpoint.
    @Test func aHostileResponseIsRecordedOnceAndMarked() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver { _, path in path == "/hostile" ? .init(.ok, body: "{\u{0}\u{0}}") : .init(.noContent) }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/hostile")
            try await harness.addEndpoint(url: base + "/healthy")
            var messages: [Message] = []
            for _ in 0..<5 { messages.append(try await harness.send()) }
            let sent = messages
            try await harness.withDispatcher { dispatcher in
                let recorded = try await harness.eventually(dispatcher) {
                    var count = 0
                    for message in sent { count += try await harness.attempts(of: message).count }
                    return count == 10
                }
                #expect(recorded)
            }
            for message in sent {
                let attempts = try await harness.attempts(of: message)
                #expect(attempts.count == 2)
                let hostile = attempts.first { $0.url.hasSuffix("/hostile") }
                #expect(hostile?.response == ResponseText.replacedNote + "{\u{FFFD}\u{FFFD}}")
            }
        }
    }

    @Test func goneDisablesTheEndpointAtOnce() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver { _, _ in .init(.gone) }
        try await receiver.run { base in
            let endpoint = try await harness.addEndpoint(url: base + "/gone")
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(
                    try await harness.eventually(dispatcher) {
                        try await harness.store.endpoint(appID: harness.application.id, idOrUID: endpoint.id)?.disabled == true
                    }
                )
                harness.clock.advance(seconds: 100_000)
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/gone").count == 1)
                #expect(try await harness.attempts(of: message).map(\.responseStatusCode) == [410])
                let second = try await harness.send()
                await dispatcher.untilIdle()
                #expect(try await harness.attempts(of: second).isEmpty)
            }
        }
    }

    @Test func redirectsAreFailuresAndNeverFollowed() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver { _, path in
            path == "/moved" ? .init(.found, headers: [.location: "/target"]) : .init(.ok)
        }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/moved")
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 1 })
                let attempt = try #require(try await harness.attempts(of: message).first)
                #expect(attempt.responseStatusCode == 302)
                #expect(attempt.status == .fail)
                #expect(receiver.requests(to: "/target").isEmpty)
            }
        }
    }

    @Test func aSlowReceiverTimesOutWithCodeZeroAndWaitsAtLeastAMinute() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.requestTimeoutSeconds = 1
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { _, _ in .init(.ok, delay: .seconds(3)) }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/slow")
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 1 })
                let attempt = try #require(try await harness.attempts(of: message).first)
                #expect(attempt.responseStatusCode == 0)
                #expect(attempt.response == "timed out")
                let states = try await harness.store.listAttemptedDestinations(
                    appID: harness.application.id,
                    messageID: message.id,
                    page: PageRequest(order: .ascending)
                )
                let next = try #require(states.items.first?.1.nextAttempt)
                #expect(next.milliseconds - attempt.createdAt.milliseconds >= 48_000)
            }
        }
    }

    /// A backlog larger than an endpoint's cap is sent through exactly that many requests at a time, each delivery
    /// once, while another endpoint of the same application is served alongside.
    @Test func anEndpointsBacklogFlowsThroughItsCapWithoutDuplicates() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.maxConcurrencyPerEndpoint = 2
        let harness = try await DeliveryHarness(settings: settings)
        let busyDelay = Duration.milliseconds(100)
        let receiver = LoopbackReceiver { _, path in path == "/busy" ? .init(.noContent, delay: busyDelay) : .init(.noContent) }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/busy")
            try await harness.addEndpoint(url: base + "/quiet")
            var sent: [Message] = []
            for _ in 0..<10 { sent.append(try await harness.send()) }
            let messages = sent
            try await harness.withDispatcher { dispatcher in
                let busy = await receiver.waitFor(10, to: "/busy")
                let quiet = await receiver.waitFor(10, to: "/quiet")
                #expect(Set(busy.compactMap { $0.header("webhook-id") }) == Set(messages.map(\.id)))
                #expect(Set(quiet.compactMap { $0.header("webhook-id") }) == Set(messages.map(\.id)))
                // Every request lasts at least `busyDelay`, so requests arriving within it of each other overlapped.
                let overlapping = busy.map { request in
                    busy.filter { $0.arrivedAt <= request.arrivedAt && request.arrivedAt - $0.arrivedAt < busyDelay }.count
                }
                #expect(overlapping.max() == 2)
                await dispatcher.untilIdle()
                #expect(receiver.requests(to: "/busy").count == 10)
                let attempts = try await harness.attempts(of: messages[9])
                #expect(attempts.count == 2)
            }
        }
    }

    /// One application's endpoints together hold no more than its share of the dispatcher's slots, whatever their
    /// number: a tenant with many slow receivers cannot take every slot.
    @Test func anApplicationsEndpointsShareItsCap() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.maxConcurrencyPerEndpoint = 2
        settings.maxConcurrencyPerApplication = 3
        let harness = try await DeliveryHarness(settings: settings)
        let delay = Duration.milliseconds(150)
        let receiver = LoopbackReceiver { _, _ in .init(.noContent, delay: delay) }
        try await receiver.run { base in
            for path in ["/a", "/b", "/c"] { try await harness.addEndpoint(url: base + path) }
            for _ in 0..<6 { try await harness.send() }
            try await harness.withDispatcher { _ in
                for path in ["/a", "/b", "/c"] { await receiver.waitFor(6, to: path) }
            }
            let all = receiver.requests
            #expect(all.count == 18)
            let overlapping = all.map { request in
                all.filter { $0.arrivedAt <= request.arrivedAt && request.arrivedAt - $0.arrivedAt < delay }.count
            }
            #expect(overlapping.max() == 3)
        }
    }

    /// An endpoint at its cap with a line of claimed deliveries behind it leaves its application room for the others.
    @Test func aSlowEndpointLeavesItsApplicationsOtherEndpointsRoom() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.maxConcurrencyPerEndpoint = 2
        settings.maxConcurrencyPerApplication = 3
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { _, path in path == "/slow" ? .init(.noContent, delay: .seconds(10)) : .init(.noContent) }
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/slow")
            try await harness.addEndpoint(url: base + "/fast")
            for _ in 0..<8 { try await harness.send() }
            try await harness.withDispatcher { _ in
                let fast = await receiver.waitFor(8, to: "/fast")
                #expect(fast.count == 8)
                // The slow endpoint needs four rounds of two (10 s each); the fast one got all of its deliveries while the
                // first round was still being answered. (With 3 s rounds a loaded machine, running the whole suite on
                // two cores, sent the fast endpoint's eight one by one more slowly than that.)
                #expect(receiver.requests(to: "/slow").count <= 2)
            }
        }
    }

    @Test func duringARotationEveryValidKeySigns() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            let newKey = EndpointSecret.generate(.hmac)
            let expiredKey = EndpointSecret.generate(.hmac)
            try await harness.addEndpoint(
                url: base + "/rotating",
                secret: newKey,
                previousSecrets: [
                    ExpiringSecret(secret: DeliveryHarness.secret, expiresAt: harness.clock.now().adding(seconds: 3600)),
                    ExpiringSecret(secret: expiredKey, expiresAt: harness.clock.now().adding(seconds: -1)),
                ]
            )
            let message = try await harness.send()
            try await harness.withDispatcher { _ in
                let received = try #require(await receiver.waitFor(1, to: "/rotating").first)
                let timestamp = try #require(received.header("webhook-timestamp").flatMap { Int64($0) })
                let expected = WebhookSigner.signature(
                    messageID: message.id,
                    timestamp: timestamp,
                    body: received.body,
                    secrets: [newKey, DeliveryHarness.secret]
                )
                #expect(received.header("webhook-signature") == expected)
                #expect(received.header("webhook-signature")?.split(separator: " ").count == 2)
            }
        }
    }

    @Test func fanOutFollowsEventTypesAndChannels() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            try await harness.addEndpoint(url: base + "/all")
            try await harness.addEndpoint(url: base + "/paid", eventTypes: ["order.paid"])
            try await harness.addEndpoint(url: base + "/eu", channels: ["eu"])
            try await harness.send(eventType: "order.paid")
            try await harness.send(eventType: "order.refunded", channels: ["eu", "us"])
            try await harness.withDispatcher { dispatcher in
                #expect(await receiver.waitFor(2, to: "/all").count == 2)
                #expect(await receiver.waitFor(1, to: "/paid").count == 1)
                #expect(await receiver.waitFor(1, to: "/eu").count == 1)
                await dispatcher.untilIdle()
                #expect(receiver.requests.count == 4)
            }
        }
    }

    @Test func exhaustedRetriesStopAndRepeatedExhaustionDisables() async throws {
        var settings = DeliverySettings.loopbackAllowed
        settings.retryPolicy = RetryPolicy(schedule: [1])
        settings.disableAfterSeconds = 3600
        let harness = try await DeliveryHarness(settings: settings)
        let receiver = LoopbackReceiver { _, _ in .init(.serviceUnavailable) }
        try await receiver.run { base in
            let endpoint = try await harness.addEndpoint(url: base + "/down")
            let first = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: first).count == 1 })
                harness.clock.advance(seconds: 2)
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: first).count == 2 })
                harness.clock.advance(seconds: 1000)
                await dispatcher.untilIdle()
                #expect(try await harness.attempts(of: first).count == 2)
                #expect(try await harness.store.endpoint(appID: harness.application.id, idOrUID: endpoint.id)?.disabled == false)

                harness.clock.advance(seconds: 3600)
                let second = try await harness.send()
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: second).count == 1 })
                harness.clock.advance(seconds: 2)
                #expect(
                    try await harness.eventually(dispatcher) {
                        try await harness.store.endpoint(appID: harness.application.id, idOrUID: endpoint.id)?.disabled == true
                    }
                )
                // Nothing is dropped: the failed deliveries stay listed and can be recovered.
                let recovered = try await harness.store.recoverFailedDeliveries(
                    endpointID: endpoint.id,
                    since: harness.clock.now().adding(seconds: -86_400),
                    until: harness.clock.now().adding(seconds: 1),
                    now: harness.clock.now()
                )
                #expect(recovered == 2)
            }
        }
    }

    @Test func manualResendIsOneAttemptNeverRetried() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver { index, _ in index == 0 ? .init(.ok) : .init(.internalServerError) }
        try await receiver.run { base in
            let endpoint = try await harness.addEndpoint(url: base + "/manual")
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 1 })
                harness.clock.advance(seconds: 1)
                try await harness.store.enqueueManualAttempt(
                    appID: harness.application.id,
                    messageID: message.id,
                    endpointID: endpoint.id,
                    now: harness.clock.now()
                )
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 2 })
                harness.clock.advance(seconds: 100_000)
                await dispatcher.untilIdle()
                let attempts = try await harness.attempts(of: message)
                #expect(attempts.map(\.triggerType) == [.scheduled, .manual])
                #expect(attempts.map(\.responseStatusCode) == [200, 500])
            }
        }
    }
}

@Suite struct Ed25519DeliveryTests {
    @Test func ed25519EndpointsGetV1aSignaturesThatVerifyWithThePublicKey() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            let secret = EndpointSecret.generate(.ed25519)
            try await harness.addEndpoint(url: base + "/ed", secret: secret)
            let message = try await harness.send()
            try await harness.withDispatcher { _ in
                let received = try #require(await receiver.waitFor(1, to: "/ed").first)
                let header = try #require(received.header("webhook-signature"))
                #expect(header.hasPrefix("v1a,"))
                let timestamp = try #require(received.header("webhook-timestamp"))
                let signature = try #require(Data(base64Encoded: String(header.dropFirst(4))))
                let publicKeyText = try #require(secret.publicKey)
                let publicKey = try Curve25519.Signing.PublicKey(
                    rawRepresentation: try #require(Data(base64Encoded: String(publicKeyText.dropFirst(5))))
                )
                let signed = Array("\(message.id).\(timestamp).".utf8) + received.body
                #expect(publicKey.isValidSignature(signature, for: signed))
            }
        }
    }
}
