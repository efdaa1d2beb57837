import Foundation
import HeraldClient
import Logging
import OpenAPIRuntime
import ServiceLifecycle

/// A merchant without a public URL: reads the same `invoice.paid` events from its polling endpoint with Herald's
/// typed client, as a consumer whose position Herald keeps (a restart resumes where it stopped), long-polling so an
/// event is seen as soon as it commits.
public struct InboxPoller: Service {
    let client: Client
    let merchantID: String
    let endpoint: String
    let merchant: MerchantService
    let logger: Logger

    /// - Parameters:
    ///   - heraldURL: Herald's root as the payments service serves it (`<payments>/herald`).
    ///   - token: the app token the payments service gave at sign-up.
    public init(heraldURL: URL, token: String, merchantID: String, endpoint: String, merchant: MerchantService, logger: Logger) {
        self.client = Client(serverURL: heraldURL, token: token)
        self.merchantID = merchantID
        self.endpoint = endpoint
        self.merchant = merchant
        self.logger = logger
    }

    public func run() async throws {
        // Graceful shutdown cancels the loop, even in the middle of a long poll.
        try? await cancelWhenGracefulShutdown {
            // Where the consumer stood after the last page booked in full (nil: not known yet).
            var booked: String?
            while !Task.isCancelled {
                do {
                    booked = try await pollOnce()
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("booking from the inbox failed: \(error); reading that page again in a second")
                    try? await rewind(to: booked)
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// One long poll (up to 5 s): books what arrived and returns the position after it.
    func pollOnce() async throws -> String {
        let answer = try await client.pollMessagesAsConsumer(
            path: .init(appId: merchantID, sinkId: endpoint, consumerId: "books"),
            query: .init(limit: 50, wait: 5)
        )
        let page = try answer.ok.body.json
        for message in page.data {
            guard let invoiceID = message.payload.value["invoiceId"] as? String else { continue }
            try await merchant.handle(invoiceID: invoiceID)
        }
        return page.iterator
    }

    /// Herald moved the consumer past a page when it answered; a page not booked in full is read again by moving the
    /// consumer back (to the start when nothing was booked yet: booking twice changes nothing).
    func rewind(to iterator: String?) async throws {
        let seek: Components.Schemas.PollingEndpointConsumerSeekIn =
            if let iterator { .init(iterator: iterator) } else { .init(after: Date(timeIntervalSince1970: 0)) }
        _ = try await client.seekConsumer(
            path: .init(appId: merchantID, sinkId: endpoint, consumerId: "books"),
            body: .json(seek)
        ).ok
    }
}
