import Foundation
import HeraldKit
import Hummingbird
import Logging
import ServiceLifecycle

/// The payments service: merchants bill invoices, customers pay them, and every payment is pushed to the merchant as
/// an `invoice.paid` webhook by Herald, embedded in this process (no other service runs). Herald's API, dashboard
/// and customer portal are mounted under `/herald` on this service's own router.
public final class PaymentsService: Sendable {
    public let herald: Herald
    let ledger = Ledger()

    /// - Parameters:
    ///   - databasePath: Herald's SQLite file (its key files are kept beside it).
    ///   - publicURL: this service's address as merchants reach it; portal links point under `<publicURL>/herald`.
    ///   - retrySchedule: seconds between delivery attempts (Herald's default spans days).
    public init(databasePath: String, publicURL: String, retrySchedule: [Double]? = nil, logger: Logger) throws {
        var configuration = HeraldConfiguration()
        configuration.database = .sqlite(path: databasePath)
        configuration.publicURL = publicURL + "/herald"
        // The example's merchants run on this machine; a real deployment delivers to public addresses only.
        configuration.delivery.destinationPolicy = DestinationPolicy(parsingAllowedSubnets: "127.0.0.0/8") ?? DestinationPolicy()
        if let retrySchedule { configuration.delivery.retryPolicy = RetryPolicy(schedule: retrySchedule, jitter: 0) }
        herald = try Herald(configuration: configuration, logger: logger)
    }

    /// The HTTP application: the payments API, with Herald mounted under `/herald`.
    public func application(
        host: String = "127.0.0.1",
        port: Int,
        logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: try herald.routes(under: "/herald"))
        router.post("merchants", use: onboard)
        router.post("invoices", use: createInvoice)
        router.get("invoices/:id", use: getInvoice)
        router.post("invoices/:id/pay", use: pay)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "payments"),
            onServerRunning: { await onRunning($0.localAddress?.port ?? port) },
            logger: logger
        )
    }

    // MARK: Merchants

    struct MerchantIn: Decodable {
        var name: String
        /// Where the merchant receives webhooks; without one it reads the same events by polling.
        var webhookURL: String?
    }

    /// What a merchant gets when it signs up.
    public struct MerchantAccount: Codable, Sendable, ResponseEncodable {
        public var merchantId: String
        public var apiKey: String
        /// The secret that signs its webhooks (`whsec_…`), when it has a webhook URL.
        public var webhookSecret: String?
        /// The polling endpoint's id and an app token for it, when it has none.
        public var pollingEndpoint: String?
        public var pollingToken: String?
        /// Its portal in Herald: endpoints, event catalogue, every message and attempt.
        public var portalURL: String
    }

    /// Signs a merchant up: a Herald application of its own, with an endpoint at its webhook URL or a polling
    /// endpoint. Open to anyone here; a real service puts sign-up behind its own authentication (and leaves Herald's
    /// default of delivering to public addresses only, which this demo widens to loopback for its local merchant).
    @Sendable func onboard(_ request: Request, context: some RequestContext) async throws -> MerchantAccount {
        let input = try await request.decode(as: MerchantIn.self, context: context)
        let merchantID = "mer_" + Self.randomToken(12)
        let apiKey = "sk_" + Self.randomToken(24)
        try await herald.eventTypes.upsert(name: "invoice.paid", description: "An invoice was paid. Fetch it with GET /invoices/{invoiceId}.")
        _ = try await herald.applications.create(name: input.name, uid: merchantID)
        var account = MerchantAccount(merchantId: merchantID, apiKey: apiKey, portalURL: "")
        if let url = input.webhookURL {
            let endpoint = try await herald.endpoints.create(app: merchantID, url: url, eventTypes: ["invoice.paid"])
            account.webhookSecret = try await herald.endpoints.secret(app: merchantID, endpoint: endpoint.id)
        } else {
            _ = try await herald.endpoints.create(app: merchantID, url: "poller://", uid: "inbox", eventTypes: ["invoice.paid"])
            account.pollingEndpoint = "inbox"
        }
        let portal = try await herald.applications.portalAccess(merchantID)
        account.portalURL = portal.url
        // The portal token is an app token: it reads this merchant's messages and nothing else. It lasts 28 days; a real
        // service lets the merchant fetch a fresh one.
        if account.pollingEndpoint != nil { account.pollingToken = portal.token }
        await ledger.addMerchant(id: merchantID, apiKey: apiKey)
        return account
    }

    // MARK: Invoices

    struct InvoiceIn: Decodable {
        var amountCents: Int
        var currency: String
        var description: String?
    }

    @Sendable func createInvoice(_ request: Request, context: some RequestContext) async throws -> Invoice {
        let merchantID = try await authenticatedMerchant(request)
        let input = try await request.decode(as: InvoiceIn.self, context: context)
        guard (1...1_000_000_000_00).contains(input.amountCents) else {
            throw HTTPError(.unprocessableContent, message: "amountCents must be between 1 and 100000000000")
        }
        guard input.currency.count == 3, input.currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw HTTPError(.unprocessableContent, message: "currency must be three capital letters, such as EUR")
        }
        let invoice = Invoice(
            id: "inv_" + Self.randomToken(12),
            merchantId: merchantID,
            amountCents: input.amountCents,
            currency: input.currency,
            description: input.description ?? "",
            status: .open
        )
        await ledger.addInvoice(invoice)
        return invoice
    }

    /// The REST side of the story: a merchant pulls the details a thin event only points at.
    @Sendable func getInvoice(_ request: Request, context: some RequestContext) async throws -> Invoice {
        let merchantID = try await authenticatedMerchant(request)
        guard let invoice = await ledger.invoice(try context.parameters.require("id")), invoice.merchantId == merchantID else {
            throw HTTPError(.notFound, message: "no such invoice")
        }
        return invoice
    }

    /// A customer pays. The invoice is marked paid, then the event is published; a retried payment (after a crash or
    /// a failed publish) publishes with the same idempotency key, so the merchant is told once.
    @Sendable func pay(_ request: Request, context: some RequestContext) async throws -> Invoice {
        guard let invoice = await ledger.pay(try context.parameters.require("id"), at: Date()) else {
            throw HTTPError(.notFound, message: "no such invoice")
        }
        try await herald.messages.create(
            app: invoice.merchantId,
            eventType: "invoice.paid",
            payload: InvoicePaid(invoiceId: invoice.id, merchantId: invoice.merchantId),
            idempotencyKey: "invoice.paid-" + invoice.id
        )
        return invoice
    }

    private func authenticatedMerchant(_ request: Request) async throws -> String {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let merchantID = await ledger.merchant(apiKey: String(header.dropFirst(7)))
        else { throw HTTPError(.unauthorized, message: "send the merchant's API key as a bearer token") }
        return merchantID
    }

    static func randomToken(_ length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<length).map { _ in alphabet[Int.random(in: alphabet.indices)] })
    }
}

extension Invoice: ResponseEncodable {}
