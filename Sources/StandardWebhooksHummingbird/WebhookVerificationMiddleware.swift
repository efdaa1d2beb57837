import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StandardWebhooks

/// Refuses requests that are not correctly signed webhooks before they reach the routes behind it: `401` with a JSON
/// body `{"code": "webhook_verification_failed", "detail": …}`. The body is read (up to `maxBodySize`, else `413`)
/// and left on the request for the route to decode.
///
/// ```swift
/// let router = Router()
/// router.group("webhooks")
///     .add(middleware: WebhookVerificationMiddleware(webhook: try Webhook(secret: secret)))
///     .post { request, context in … }
/// ```
public struct WebhookVerificationMiddleware<Context: RequestContext>: RouterMiddleware {
    public let webhook: Webhook
    public let maxBodySize: Int

    public init(webhook: Webhook, maxBodySize: Int = 1 << 20) {
        self.webhook = webhook
        self.maxBodySize = maxBodySize
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodySize)
        } catch is NIOTooManyBytesError {
            return Self.refusal(.contentTooLarge, "The body is larger than \(maxBodySize) bytes")
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        do {
            try webhook.verify(payload: body.readableBytesView, headers: headers)
        } catch let error as WebhookError {
            return Self.refusal(.unauthorized, Self.reason(error))
        }
        return try await next(request, context)
    }

    static func reason(_ error: WebhookError) -> String {
        switch error {
        case .missingHeaders: "A webhook-id, webhook-timestamp or webhook-signature header is missing"
        case .invalidTimestamp: "webhook-timestamp is not whole Unix seconds"
        case .timestampTooOld: "The message timestamp is too old"
        case .timestampTooNew: "The message timestamp is too far in the future"
        case .noMatchingSignature: "No signature matches"
        case .invalidSecret, .cannotSign: "The receiver's key cannot verify"
        }
    }

    static func refusal(_ status: HTTPResponse.Status, _ detail: String) -> Response {
        let body = (try? JSONEncoder().encode(["code": "webhook_verification_failed", "detail": detail])) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
