import ArgumentParser
import Foundation
import HeraldAPI
import HeraldCore
import HeraldDelivery
import HeraldPostgres
import HeraldSQLite
import Hummingbird
import Logging
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Herald server: the API and the delivery dispatcher.")

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
        let (secret, secretSource) = try configuration.resolveJWTSecret()
        let tokens = try await TokenAuthority(secret: Array(secret.utf8))
        switch configuration.database {
        case .sqlite(let path):
            let store = try SQLiteStore(path: path, sealer: try configuration.resolveMainKey())
            try await serve(configuration, store: store, tokens: tokens, secretSource: secretSource, logger: logger)
        case .postgres(let location):
            let store = PostgresStore(location: location, sealer: try configuration.resolveMainKey(), logger: Logger(label: "herald.postgres"))
            try await store.withRunningClient {
                try await serve(configuration, store: store, tokens: tokens, secretSource: secretSource, logger: logger)
            }
        }
    }

    private func serve(
        _ configuration: HeraldConfiguration,
        store: any HeraldStore,
        tokens: TokenAuthority,
        secretSource: String,
        logger: Logger
    ) async throws {
        let operational = try await setUpOperationalWebhooks(configuration, store: store, logger: logger)
        let environment = APIEnvironment(
            store: store,
            tokens: tokens,
            settings: APISettings(
                httpsOnly: configuration.httpsOnly,
                maxBodyBytes: configuration.maxBodyBytes,
                defaultSecretKind: configuration.defaultSignature,
                publicURL: configuration.effectivePublicURL,
                destinationPolicy: configuration.delivery.destinationPolicy,
                limits: configuration.limits
            ),
            operational: operational
        )
        // With SQLite one worker owns the queue, so leases found at start belong to a process that died. Instances
        // sharing PostgreSQL leave each other's leases alone: a dead instance's run out.
        let dispatcher = Dispatcher(
            store: store,
            settings: configuration.delivery,
            operational: operational,
            releaseAllLeasesAtStart: !store.servesSeveralInstances,
            logger: Logger(label: "herald.delivery")
        )
        let app = buildApplication(environment: environment, host: configuration.host, port: configuration.port, logger: logger) { port in
            logger.notice(
                "Herald listening on http://\(configuration.host):\(port), database \(configuration.database); JWT secret from \(secretSource); get a token with: herald token create"
            )
        }
        let services: [any Service] =
            switch role {
            case .api: [app]
            case .worker: [dispatcher]
            case .all: [dispatcher, app]
            }
        if role == .worker {
            logger.notice("Herald delivery worker running on database \(configuration.database)")
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    private func setUpOperationalWebhooks(
        _ configuration: HeraldConfiguration,
        store: any HeraldStore,
        logger: Logger
    ) async throws -> OperationalWebhooks? {
        guard let url = configuration.operationalWebhookURL else { return nil }
        let secret: EndpointSecret
        if let configured = configuration.operationalWebhookSecret {
            secret = configured
        } else {
            let path = try configuration.sideFilePath(suffix: ".operational-secret")
            let text = try SecretFile.loadOrCreate(at: path) { EndpointSecret.generate(.hmac).description }
            guard let parsed = EndpointSecret(parsing: text) else { throw ConfigurationError("\(path) does not hold a whsec_ secret") }
            secret = parsed
        }
        let (webhooks, endpointID) = try await OperationalWebhooks.setUp(store: store, url: url, secret: secret)
        logger.notice(
            "operational webhooks go to \(url) (endpoint \(endpointID) of org \(OperationalWebhooks.managementOrgID))"
        )
        return webhooks
    }
}
