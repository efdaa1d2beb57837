import ArgumentParser
import Foundation
import HeraldAPI
import HeraldCore
import HeraldDelivery
import HeraldKit
import HeraldPostgres
import HeraldSQLite
import HeraldSetup
import Hummingbird
import Logging
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Herald server: the API and the delivery dispatcher.",
        discussion: """
            Settings come from flags, then HERALD_* environment variables, then defaults (README's Configuration \
            table has them all): HERALD_HOST, HERALD_PORT, HERALD_DATABASE_URL, HERALD_MAIN_KEY, HERALD_JWT_SECRET, \
            HERALD_ALLOWED_SUBNETS, HERALD_PUBLIC_URL, HERALD_HTTPS_ONLY, HERALD_MAX_BODY_BYTES, \
            HERALD_DEFAULT_SIGNATURE, HERALD_MAX_CONCURRENCY, HERALD_MAX_CONCURRENCY_PER_APP, \
            HERALD_MAX_ENDPOINTS_PER_APP, HERALD_MAX_EVENT_TYPES_PER_ENDPOINT, HERALD_MESSAGE_RATE_PER_APP, \
            HERALD_RESEND_RATE_PER_APP, HERALD_MAX_STREAMS_PER_TOKEN, HERALD_REQUEST_TIMEOUT, HERALD_RETRY_SCHEDULE, \
            HERALD_HEADERS, HERALD_DISABLE_AFTER, HERALD_OPERATIONAL_WEBHOOK_URL, HERALD_OPERATIONAL_WEBHOOK_SECRET, \
            HERALD_LOG_LEVEL. To deliver to receivers on this machine, set HERALD_ALLOWED_SUBNETS=127.0.0.0/8.
            """
    )

    @OptionGroup var options: ServerOptions

    /// What this process runs: the HTTP API, the delivery dispatcher, or both.
    enum Role: String, ExpressibleByArgument, CaseIterable {
        case api, worker, all
    }

    @Option(help: "What to run: api (HTTP only), worker (delivery only) or all.")
    var role: Role = .all

    func run() async throws {
        let configuration = try options.configuration()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["HERALD_LOG_LEVEL"] ?? "") ?? .info
            return handler
        }
        let logger = Logger(label: "herald")
        // A port in use is reported before anything is created.
        if role != .worker { try PortProbe.check(host: configuration.host, port: configuration.port) }
        let parts: Herald.Parts =
            switch role {
            case .api: [.httpServer]
            case .worker: [.delivery]
            case .all: [.delivery, .httpServer]
            }
        let herald = try Herald(configuration: configuration, parts: parts, logger: logger) { start in
            logger.notice(
                "Herald listening on http://\(configuration.host):\(start.port), database \(configuration.database); \(start.keySources); webhooks may reach \(Self.reach(configuration)); get a token with: herald token create"
            )
        }
        if role == .worker {
            logger.notice(
                "Herald delivery worker running on database \(configuration.database); \(herald.keySources); webhooks may reach \(Self.reach(configuration))"
            )
        }
        // Graceful shutdown goes from the HTTP server (no new requests) to the dispatcher (finishes its sends) to
        // the store, last.
        let group = ServiceGroup(
            configuration: .init(services: [herald], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        logger.notice("Herald stopped")
    }

    /// Where webhooks may go, as the start-up line says it.
    static func reach(_ configuration: HeraldConfiguration) -> String {
        let allowed = configuration.delivery.destinationPolicy.allowedSubnets
        return allowed.isEmpty
            ? "public addresses only (HERALD_ALLOWED_SUBNETS adds networks)"
            : "public addresses and \(allowed.map(\.description).joined(separator: ", "))"
    }
}
