import Foundation
import StandardWebhooks

/// A receiver's whole use of the library: check the request, then trust its body.
public struct PaymentEvents: Sendable {
    let webhook: Webhook

    public init(secret: String) throws {
        webhook = try Webhook(secret: secret)
    }

    /// The event type of a verified webhook; throws `WebhookError` for anything not signed with our secret.
    public func eventType(body: [UInt8], headers: [String: String], now: Date = Date()) throws -> String? {
        try webhook.verify(payload: body, headers: headers, now: now)
        let event = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        return event?["type"] as? String
    }
}
