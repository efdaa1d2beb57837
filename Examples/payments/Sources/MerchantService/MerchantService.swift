import Foundation
import Hummingbird
import Logging
import StandardWebhooks
import StandardWebhooksHummingbird
import Synchronization

/// The merchant: receives `invoice.paid` webhooks (verified with StandardWebhooks), fetches each invoice from the
/// payments REST API, books it once, and shows its totals on a live page.
public final class MerchantService: Sendable {
    /// What the payments service gave this merchant at sign-up.
    public struct Account: Sendable {
        public var paymentsURL: String
        public var apiKey: String
        /// Verifies webhooks; nil for a merchant that polls instead.
        public var webhookSecret: String?

        public init(paymentsURL: String, apiKey: String, webhookSecret: String?) {
            self.paymentsURL = paymentsURL
            self.apiKey = apiKey
            self.webhookSecret = webhookSecret
        }
    }

    let books = Books()
    private let account = Mutex<Account?>(nil)
    private let available = Atomic(true)
    private let refusedWhileDown = Atomic(0)
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Sets the account (a merchant's server runs before it signs up and learns its secret).
    public func connect(_ account: Account) {
        self.account.withLock { $0 = account }
    }

    /// Takes the webhook route down (503) or up again, as a deploy or an outage would.
    public func setAvailable(_ up: Bool) {
        available.store(up, ordering: .relaxed)
    }

    /// Webhooks answered 503 while down.
    public var refusedCount: Int { refusedWhileDown.load(ordering: .relaxed) }

    public var totals: Totals {
        get async { await books.summary }
    }

    /// The HTTP application: `POST /webhooks/payments` (signed webhooks), `GET /` (the live page), `GET /totals`.
    public func application(
        host: String = "127.0.0.1",
        port: Int,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get { _, _ in LivePage() }
        router.get("totals") { _, _ in await self.books.summary }
        router.group("webhooks/payments")
            .add(middleware: Availability(merchant: self))
            .add(middleware: VerifiedWithCurrentSecret(merchant: self))
            .post(use: receive)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "merchant"),
            onServerRunning: { await onRunning($0.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// A verified `invoice.paid` webhook. Answered 2xx only once the invoice is booked (or known): if fetching it
    /// fails, the 5xx makes Herald retry later.
    @Sendable func receive(_ request: Request, context: some RequestContext) async throws -> HTTPResponse.Status {
        let event = try await request.decode(as: WebhookEvent.self, context: context)
        try await handle(invoiceID: event.invoiceId)
        return .noContent
    }

    struct WebhookEvent: Decodable {
        var invoiceId: String
    }

    /// Books a paid invoice once: a duplicate event (a retry whose answer was lost, a resend) changes nothing.
    public func handle(invoiceID: String) async throws {
        if await books.contains(invoiceID) {
            await books.noteDuplicate()
            return
        }
        let invoice = try await fetchInvoice(invoiceID)
        guard invoice.status == "paid" else {
            logger.warning("event for invoice \(invoiceID), which is not paid; ignored")
            return
        }
        _ = await books.book(invoiceID: invoice.id, amountCents: invoice.amountCents, currency: invoice.currency)
    }

    /// The pull half: the event says which invoice; the payments API says what it is.
    func fetchInvoice(_ id: String) async throws -> PaymentsAPI.Invoice {
        guard let account = account.withLock({ $0 }) else { throw HTTPError(.serviceUnavailable, message: "not signed up yet") }
        return try await PaymentsAPI(baseURL: account.paymentsURL).invoice(id, apiKey: account.apiKey)
    }

    var webhookSecret: String? { account.withLock { $0?.webhookSecret } }
    var isAvailable: Bool { available.load(ordering: .relaxed) }
    func noteRefused() { refusedWhileDown.add(1, ordering: .relaxed) }
}

/// While the merchant is "down", webhooks are answered 503 and Herald retries them later.
struct Availability<Context: RequestContext>: RouterMiddleware {
    let merchant: MerchantService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard merchant.isAvailable else {
            merchant.noteRefused()
            return Response(status: .serviceUnavailable)
        }
        return try await next(request, context)
    }
}

/// StandardWebhooks' verification middleware, with the secret the merchant holds now (it arrives at sign-up).
struct VerifiedWithCurrentSecret<Context: RequestContext>: RouterMiddleware {
    let merchant: MerchantService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let secret = merchant.webhookSecret else { return Response(status: .serviceUnavailable) }
        let verification = WebhookVerificationMiddleware<Context>(webhook: try Webhook(secret: secret))
        return try await verification.handle(request, context: context, next: next)
    }
}
