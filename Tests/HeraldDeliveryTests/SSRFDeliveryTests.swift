import HeraldCore
import HeraldDelivery
import HeraldTesting
import Testing

/// The send-time half of the SSRF guard, with an injected resolver and real loopback receivers.
@Suite struct SSRFDeliveryTests {
    static let blocked = "destination not allowed: requests to this address range are blocked (see HERALD_ALLOWED_SUBNETS)"

    static func onlyLoopbackOne() -> DeliverySettings {
        var settings = DeliverySettings()
        settings.destinationPolicy = DestinationPolicy(allowedSubnets: [IPNetwork("127.0.0.1/32")!])
        return settings
    }

    /// Every answer here holds a blocked address, so nothing is dialled — least of all the public documentation-style
    /// address in the mixed answer, which tests must never reach.
    @Test(arguments: [
        (["10.0.0.5"], false), (["::1"], false), (["::ffff:169.254.169.254"], true), (["93.184.216.34", "127.0.0.1"], false),
        (["127.0.0.2"], true), (["::ffff:127.0.0.2"], true),
    ])
    func namesResolvingToBlockedAddressesAreRecordedAsBlocked(answer: [String], allowLoopbackOne: Bool) async throws {
        let resolver = ScriptedResolver { _, _ in answer }
        let harness = try await DeliveryHarness(settings: allowLoopbackOne ? Self.onlyLoopbackOne() : DeliverySettings(), resolver: resolver)
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            let port = base.split(separator: ":").last!
            try await harness.addEndpoint(url: "http://internal.test:\(port)/hook")
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 1 })
                let attempt = try #require(try await harness.attempts(of: message).first)
                #expect(attempt.responseStatusCode == 0)
                #expect(attempt.response == Self.blocked)
                #expect(receiver.requests.isEmpty)
            }
        }
    }

    @Test func theVettedAddressIsDialledWithoutASecondLookup() async throws {
        // "receiver.test" exists only in the injected resolver: arriving proves Herald dialled the vetted address.
        let resolver = ScriptedResolver { host, _ in host == "receiver.test" ? ["127.0.0.1"] : [] }
        let harness = try await DeliveryHarness(settings: Self.onlyLoopbackOne(), resolver: resolver)
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            let port = base.split(separator: ":").last!
            try await harness.addEndpoint(url: "http://receiver.test:\(port)/pinned")
            try await harness.send()
            try await harness.withDispatcher { _ in
                let request = try #require(await receiver.waitFor(1, to: "/pinned").first)
                #expect(request.authority == "receiver.test:\(port)")
                #expect(resolver.calls(for: "receiver.test") == 1)
            }
        }
    }

    @Test func rebindingIsCaughtOnTheNextAttempt() async throws {
        let resolver = ScriptedResolver { _, calls in calls == 0 ? ["127.0.0.1"] : ["127.0.0.2"] }
        let harness = try await DeliveryHarness(settings: Self.onlyLoopbackOne(), resolver: resolver)
        let receiver = LoopbackReceiver { _, _ in .init(.internalServerError) }
        try await receiver.run { base in
            let port = base.split(separator: ":").last!
            try await harness.addEndpoint(url: "http://rebind.test:\(port)/rebind")
            let message = try await harness.send()
            try await harness.withDispatcher { dispatcher in
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 1 })
                harness.clock.advance(seconds: 10)
                #expect(try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 2 })
                let attempts = try await harness.attempts(of: message)
                #expect(attempts.map(\.responseStatusCode) == [500, 0])
                #expect(attempts.last?.response == Self.blocked)
                #expect(receiver.requests(to: "/rebind").count == 1)
                #expect(resolver.calls(for: "rebind.test") == 2)
            }
        }
    }

    @Test(arguments: [301, 302, 303, 307, 308])
    func redirectsNeverReachTheirTarget(status: Int) async throws {
        let canary = LoopbackReceiver()
        try await canary.run { canaryBase in
            let receiver = LoopbackReceiver { _, _ in
                .init(.init(code: status), headers: [.location: canaryBase + "/latest/meta-data/"])
            }
            try await receiver.run { base in
                let harness = try await DeliveryHarness()
                try await harness.addEndpoint(url: base + "/redirect")
                let message = try await harness.send()
                try await harness.withDispatcher { dispatcher in
                    let attempted = try await harness.eventually(dispatcher) { try await harness.attempts(of: message).count == 1 }
                    let code = try await harness.attempts(of: message).first?.responseStatusCode
                    #expect(attempted)
                    #expect(code == status)
                    #expect(receiver.requests.count == 1)
                    #expect(canary.requests.isEmpty)
                }
            }
        }
    }

    @Test func manualResendsGoThroughTheSameGuard() async throws {
        let resolver = ScriptedResolver { _, _ in ["10.1.2.3"] }
        let harness = try await DeliveryHarness(resolver: resolver)
        let endpoint = try await harness.addEndpoint(url: "http://internal.test/hook")
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
            #expect(try await harness.attempts(of: message).map(\.response) == [Self.blocked, Self.blocked])
        }
    }
}
