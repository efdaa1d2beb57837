import ArgumentParser
import Foundation
import HeraldAPI
import HeraldCore
import HeraldDelivery
import HeraldKit
import HeraldPostgres
import HeraldSQLite
import HeraldSettings
import HeraldSetup
import Hummingbird
import Logging
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Herald server: the API and the delivery dispatcher.",
        discussion: """
            Settings come from flags, then HERALD_* environment variables, then the config file (--config or \
            HERALD_CONFIG, YAML or JSON), then defaults. `herald config print` shows the effective settings, \
            `herald config check` validates them; README's Configuration table says what each means. To deliver to \
            receivers on this machine, set HERALD_ALLOWED_SUBNETS=127.0.0.0/8. Every setting, as file key (variable):

            """ + Setting.catalogue.map { "\($0.key) (\($0.environmentName))" }.joined(separator: ", ")
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let loaded = try options.load()
        let configuration = loaded.settings.herald
        let role = loaded.settings.role
        let logLevel = loaded.settings.logLevel
        let logFormat = loaded.settings.logFormat
        LoggingSystem.bootstrap { label in
            switch logFormat {
            case .text:
                var handler = TextLogHandler(label: label)
                handler.logLevel = logLevel
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = logLevel
                return handler
            }
        }
        let logger = Logger(label: "herald")
        var services: [any Service] = []
        if let endpoint = loaded.settings.otelEndpoint {
            services.append(try TraceExport.bootstrap(endpoint: endpoint, logger: Logger(label: "herald.otel")))
            logger.notice("traces go to \(URLRedaction.shown(TraceExport.tracesURL(endpoint), keepPath: true)) (OTLP/HTTP)")
        }
        if let configFile = loaded.configFile { logger.notice("Settings read from \(configFile) (flags and HERALD_* variables override it)") }
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
                "Herald listening on http://\(configuration.host):\(start.port), database \(configuration.database); \(start.keySources); webhooks may reach \(Self.reach(configuration)); dashboard at \(Self.dashboard(configuration, port: start.port)); get a token with: herald token create\(loaded.configFile.map { " --config \($0)" } ?? "")"
            )
        }
        if role == .worker {
            logger.notice(
                "Herald delivery worker running on database \(configuration.database); \(herald.keySources); webhooks may reach \(Self.reach(configuration))"
            )
        }
        // Graceful shutdown goes from the HTTP server (no new requests) to the dispatcher (finishes its sends) to
        // the store, then the trace exporter, which flushes the spans they ended.
        let group = ServiceGroup(
            configuration: .init(services: services + [herald], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        logger.notice("Herald stopped")
    }

    /// The operator dashboard's address: under the public URL when one is set, else on the port actually bound.
    static func dashboard(_ configuration: HeraldConfiguration, port: Int) -> String {
        var bound = configuration
        bound.port = port
        return bound.effectivePublicURL + "/dashboard"
    }

    /// Where webhooks may go, as the start-up line says it.
    static func reach(_ configuration: HeraldConfiguration) -> String {
        let allowed = configuration.delivery.destinationPolicy.allowedSubnets
        return allowed.isEmpty
            ? "public addresses only (HERALD_ALLOWED_SUBNETS adds networks)"
            : "public addresses and \(allowed.map(\.description).joined(separator: ", "))"
    }
}
