import Foundation
import StandardWebhooks
import Testing
import VerifyWebhook

@Suite struct VerifyWebhookTests {
    /// The primary Standard Webhooks test vector, verified from outside Herald's package.
    @Test func theOfficialVectorVerifies() throws {
        let webhook = try Webhook(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        try webhook.verify(
            payload: Array(#"{"test": 2432232314}"#.utf8),
            headers: [
                "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
                "webhook-timestamp": "1614265330",
                "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ],
            now: Date(timeIntervalSince1970: 1_614_265_330)
        )
    }

    @Test func aReceiverReadsOnlyVerifiedEvents() throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let events = try PaymentEvents(secret: secret)
        let body = Array(#"{"type":"invoice.paid","data":{"invoice":"in_1"}}"#.utf8)
        let now = Date()
        let signature = try Webhook(secret: secret).sign(payload: body, id: "msg_1", timestamp: Int64(now.timeIntervalSince1970))
        let headers = ["webhook-id": "msg_1", "webhook-timestamp": String(Int64(now.timeIntervalSince1970)), "webhook-signature": signature]
        #expect(try events.eventType(body: body, headers: headers, now: now) == "invoice.paid")
        #expect(throws: WebhookError.noMatchingSignature) {
            try events.eventType(body: Array(#"{"type":"invoice.refunded"}"#.utf8), headers: headers, now: now)
        }
    }
}
