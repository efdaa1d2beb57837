import Foundation
import Logging
import MerchantService
import PaymentsService
import ServiceLifecycle

/// `swift run payments-demo`: the payments service (with Herald inside) on :8090, a merchant on :8091, and a customer
/// paying one of the merchant's invoices every two seconds. Open http://127.0.0.1:8091/ to watch the totals, and the
/// printed portal link to see every message and attempt. `--poll` signs the merchant up without a webhook URL: it
/// reads the same events from Herald's poller instead.
@main
struct Demo {
    static func main() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .notice
            return handler
        }
        let logger = Logger(label: "payments-demo")
        let polls = CommandLine.arguments.contains("--poll")
        let paymentsURL = "http://127.0.0.1:8090"
        let payments = try PaymentsService(databasePath: "payments-demo.db", publicURL: paymentsURL, logger: logger)
        let merchant = MerchantService(logger: logger)
        let customer = Customer(
            paymentsURL: paymentsURL,
            merchantWebhookURL: polls ? nil : "http://127.0.0.1:8091/webhooks/payments",
            merchant: merchant,
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    payments.herald, try payments.application(port: 8090, logger: logger),
                    merchant.application(port: 8091), customer,
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}

/// Signs the merchant up, then creates and pays an invoice every two seconds.
struct Customer: Service {
    let paymentsURL: String
    let merchantWebhookURL: String?
    let merchant: MerchantService
    let logger: Logger

    func run() async throws {
        try await Task.sleep(for: .milliseconds(500))
        let api = PaymentsAPI(baseURL: paymentsURL)
        let account = try await api.signUp(name: "Demo Shop", webhookURL: merchantWebhookURL)
        merchant.connect(.init(paymentsURL: paymentsURL, apiKey: account.apiKey, webhookSecret: account.webhookSecret))
        logger.notice("merchant \(account.merchantId) signed up; its portal: \(account.portalURL)")
        logger.notice("watch the merchant's totals at http://127.0.0.1:8091/")
        try await withThrowingDiscardingTaskGroup { group in
            if let token = account.pollingToken, let endpoint = account.pollingEndpoint, let heraldURL = URL(string: paymentsURL + "/herald") {
                let poller = InboxPoller(
                    heraldURL: heraldURL,
                    token: token,
                    merchantID: account.merchantId,
                    endpoint: endpoint,
                    merchant: merchant,
                    logger: logger
                )
                group.addTask { try await poller.run() }
            }
            group.addTask {
                try await cancelWhenGracefulShutdown {
                    while true {
                        let invoice = try await api.bill(apiKey: account.apiKey, cents: Int.random(in: 500...25_000))
                        try await api.pay(invoice.id)
                        try await Task.sleep(for: .seconds(2))
                    }
                }
            }
        }
    }
}
