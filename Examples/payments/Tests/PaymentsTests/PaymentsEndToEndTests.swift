import AsyncHTTPClient
import Foundation
import Logging
import MerchantService
import PaymentsService
import ServiceLifecycle
import Testing

/// The whole story on real sockets: payments (with Herald inside) pushes thin events, merchants verify them, pull
/// the invoices, book each once, survive an outage, and a merchant without a URL gets the same events by polling.
@Suite struct PaymentsEndToEndTests {
    @Test func paidInvoicesReachTheMerchantsBooksOnceEvenThroughAnOutage() async throws {
        var logger = Logger(label: "payments-test")
        logger.logLevel = .error
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("payments-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let paymentsPort = PortBox()
        let merchantPort = PortBox()
        // Placeholder until the port is known: the public URL only shapes portal links.
        let payments = try PaymentsService(
            databasePath: directory.appendingPathComponent("payments.db").path,
            publicURL: "http://127.0.0.1",
            retrySchedule: [1, 1, 1, 1, 1],
            logger: logger
        )
        let merchant = MerchantService(logger: logger)
        let polling = MerchantService(logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    payments.herald,
                    try payments.application(port: 0, logger: logger) { await paymentsPort.set($0) },
                    merchant.application(port: 0) { await merchantPort.set($0) },
                ],
                logger: logger
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            let paymentsURL = "http://127.0.0.1:\(await paymentsPort.value())"
            let merchantURL = "http://127.0.0.1:\(await merchantPort.value())"
            let shop = PaymentsAPI(baseURL: paymentsURL)

            // Sign-up: a Herald application and endpoint for the merchant, its signing secret handed over.
            let account = try await shop.signUp(name: "Corner Shop", webhookURL: merchantURL + "/webhooks/payments")
            let secret = try #require(account.webhookSecret)
            #expect(secret.hasPrefix("whsec_"))
            merchant.connect(.init(paymentsURL: paymentsURL, apiKey: account.apiKey, webhookSecret: secret))

            // Three payments: three thin events, each verified, fetched over REST and booked.
            var invoices: [PaymentsAPI.Invoice] = []
            for cents in [1000, 2500, 499] {
                let invoice = try await shop.bill(apiKey: account.apiKey, cents: cents)
                #expect(try await shop.pay(invoice.id).status == "paid")
                invoices.append(invoice)
            }
            #expect(try await eventually { await merchant.totals.totalsCents["EUR"] == 3999 })
            #expect(await merchant.totals.invoices == 3)

            // A customer's retried payment publishes with the same idempotency key: no second event.
            try await shop.pay(invoices[0].id)
            // A resend from Herald (as an operator would from the portal) is a real duplicate: booked once.
            let messages = try await payments.herald.api.send(.get, "/app/\(account.merchantId)/msg?limit=10")
            let list = try JSONDecoder().decode(MessageList.self, from: Data(messages.body))
            #expect(list.data.count == 3)
            let endpoints = try await payments.herald.endpoints.list(app: account.merchantId)
            let resend = try await payments.herald.api.send(
                .post,
                "/app/\(account.merchantId)/msg/\(list.data[0].id)/endpoint/\(endpoints[0].id)/resend"
            )
            #expect(resend.status.code == 202)
            #expect(try await eventually { await merchant.totals.duplicatesIgnored >= 1 })
            #expect(await merchant.totals.totalsCents["EUR"] == 3999)

            // A forged webhook is refused by the verifier and books nothing.
            let forged = try await Raw.post(
                merchantURL + "/webhooks/payments",
                body: #"{"invoiceId":"\#(invoices[1].id)","merchantId":"x"}"#,
                headers: ["webhook-id": "msg_forged", "webhook-timestamp": String(Int(Date().timeIntervalSince1970)), "webhook-signature": "v1,AAAA"]
            )
            #expect(forged == 401)

            // The merchant goes down; a payment made meanwhile reaches it through Herald's retries once it is back.
            merchant.setAvailable(false)
            let duringOutage = try await shop.bill(apiKey: account.apiKey, cents: 100)
            try await shop.pay(duringOutage.id)
            #expect(try await eventually { merchant.refusedCount >= 1 })
            #expect(await merchant.totals.invoices == 3)
            merchant.setAvailable(true)
            #expect(try await eventually { await merchant.totals.totalsCents["EUR"] == 4099 })

            // A merchant without a public URL reads the same events by polling, with Herald's typed client.
            let offline = try await shop.signUp(name: "Back Office", webhookURL: nil)
            #expect(offline.webhookSecret == nil)
            let token = try #require(offline.pollingToken)
            let endpoint = try #require(offline.pollingEndpoint)
            polling.connect(.init(paymentsURL: paymentsURL, apiKey: offline.apiKey, webhookSecret: nil))
            let poller = InboxPoller(
                heraldURL: try #require(URL(string: paymentsURL + "/herald")),
                token: token,
                merchantID: offline.merchantId,
                endpoint: endpoint,
                merchant: polling,
                logger: logger
            )
            let pollers = ServiceGroup(configuration: .init(services: [poller], logger: logger))
            tasks.addTask { try await pollers.run() }
            for cents in [700, 300] {
                try await shop.pay(try await shop.bill(apiKey: offline.apiKey, cents: cents).id)
            }
            #expect(try await eventually { await polling.totals.totalsCents["EUR"] == 1000 })
            // Each merchant sees only its own invoices.
            #expect(await merchant.totals.totalsCents["EUR"] == 4099)

            // The live page and the figures it shows.
            let page = try await Raw.get(merchantURL + "/")
            #expect(page.contains("Paid invoices"))
            let totals = try JSONDecoder().decode(Totals.self, from: Data(try await Raw.get(merchantURL + "/totals").utf8))
            #expect(totals.invoices == 4)

            await pollers.triggerGracefulShutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    struct MessageList: Decodable {
        struct Item: Decodable { var id: String }
        var data: [Item]
    }
}

/// Waits (up to 20 s) for `condition`; true when it held.
func eventually(_ condition: () async -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return await condition()
}

/// A port announced by a server once it listens.
actor PortBox {
    private var port: Int?
    private var waiting: [CheckedContinuation<Int, Never>] = []

    func set(_ port: Int) {
        self.port = port
        for continuation in waiting { continuation.resume(returning: port) }
        waiting = []
    }

    func value() async -> Int {
        if let port { return port }
        return await withCheckedContinuation { waiting.append($0) }
    }
}

/// Requests the payments API client does not make: a forged webhook, the merchant's pages.
enum Raw {
    static func post(_ url: String, body: String, headers: [String: String]) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(Array(body.utf8))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }

    static func get(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }
}
