import Foundation
import HeraldCore
import HeraldTesting
import StandardWebhooks
import Testing

/// Herald's own sender, checked by the `StandardWebhooks` library as a receiver would use it: an HMAC endpoint under
/// both header sets, and an Ed25519 endpoint verified with its public key alone.
@Suite struct StandardWebhooksVerifierTests {
    static func headers(_ received: LoopbackReceiver.Received, prefix: String) -> [String: String] {
        var headers: [String: String] = [:]
        for name in ["id", "timestamp", "signature"] { headers[prefix + name] = received.header(prefix + name) }
        return headers
    }

    @Test func heraldsSignaturesVerifyWithTheLibrary() async throws {
        let harness = try await DeliveryHarness()
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            let ed25519 = EndpointSecret.generate(.ed25519)
            try await harness.addEndpoint(url: base + "/hmac")
            try await harness.addEndpoint(url: base + "/ed", secret: ed25519)
            try await harness.send(payload: #"{ "invoice" : "in_1", "amount": 10.50 }"#)
            try await harness.withDispatcher { _ in
                let now = Date(timeIntervalSince1970: TimeInterval(harness.clock.now().milliseconds) / 1000)
                let hmac = try #require(await receiver.waitFor(1, to: "/hmac").first)
                let shared = try Webhook(secret: DeliveryHarness.secret.description)
                try shared.verify(payload: hmac.body, headers: Self.headers(hmac, prefix: "webhook-"), now: now)
                try shared.verify(payload: hmac.body, headers: Self.headers(hmac, prefix: "svix-"), now: now)
                #expect(throws: WebhookError.noMatchingSignature) {
                    try shared.verify(payload: hmac.body + [32], headers: Self.headers(hmac, prefix: "webhook-"), now: now)
                }

                let signed = try #require(await receiver.waitFor(1, to: "/ed").first)
                let publicKey = try Webhook(secret: try #require(ed25519.publicKey))
                try publicKey.verify(payload: signed.body, headers: Self.headers(signed, prefix: "webhook-"), now: now)
            }
        }
    }
}
