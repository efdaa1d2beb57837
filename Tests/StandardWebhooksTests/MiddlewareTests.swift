import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StandardWebhooks
import StandardWebhooksHummingbird
import Testing

/// The middleware in front of a real Hummingbird router: a signed request reaches the route with its body intact;
/// anything else gets a JSON 401 and never reaches it.
@Suite struct MiddlewareTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    static func application() throws -> some ApplicationProtocol {
        let router = Router()
        router.group("hooks")
            .add(middleware: WebhookVerificationMiddleware(webhook: try Webhook(secret: secret), maxBodySize: 64))
            .post { request, _ -> String in
                let body = try await request.body.collect(upTo: 64)
                return "got " + String(buffer: body)
            }
        return Application(router: router)
    }

    static func headers(for body: String, id: String = "msg_1", at time: Date = Date()) throws -> HTTPFields {
        let timestamp = Int64(time.timeIntervalSince1970)
        let signature = try Webhook(secret: secret).sign(payload: Array(body.utf8), id: id, timestamp: timestamp)
        var fields = HTTPFields()
        fields[HTTPField.Name("webhook-id")!] = id
        fields[HTTPField.Name("webhook-timestamp")!] = String(timestamp)
        fields[HTTPField.Name("webhook-signature")!] = signature
        return fields
    }

    @Test func aSignedRequestReachesTheRouteWithItsBody() async throws {
        try await Self.application().test(.router) { client in
            let body = #"{"type":"invoice.paid"}"#
            let response = try await client.execute(
                uri: "/hooks",
                method: .post,
                headers: try Self.headers(for: body),
                body: ByteBuffer(string: body)
            )
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "got " + body)
        }
    }

    @Test func tamperedStaleUnsignedAndOversizedRequestsAreRefused() async throws {
        try await Self.application().test(.router) { client in
            let signed = try Self.headers(for: #"{"amount":1}"#)
            let tampered = try await client.execute(uri: "/hooks", method: .post, headers: signed, body: ByteBuffer(string: #"{"amount":9}"#))
            #expect(tampered.status == .unauthorized)
            #expect(String(buffer: tampered.body).contains("webhook_verification_failed"))

            let old = try Self.headers(for: "{}", at: Date().addingTimeInterval(-600))
            let stale = try await client.execute(uri: "/hooks", method: .post, headers: old, body: ByteBuffer(string: "{}"))
            #expect(stale.status == .unauthorized)
            #expect(String(buffer: stale.body).contains("too old"))

            let unsigned = try await client.execute(uri: "/hooks", method: .post, body: ByteBuffer(string: "{}"))
            #expect(unsigned.status == .unauthorized)

            let large = String(repeating: "x", count: 100)
            let oversized = try await client.execute(
                uri: "/hooks",
                method: .post,
                headers: try Self.headers(for: large),
                body: ByteBuffer(string: large)
            )
            #expect(oversized.status == .contentTooLarge)
        }
    }
}
