import ArgumentParser
import Foundation
import HeraldAPI
import HeraldCore
import HeraldDelivery
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
        switch configuration.database {
        case .sqlite(let path):
            try Self.checkDatabasePath(path)
            let lock = try SQLiteLock.acquire(databasePath: path)
            let (secret, secretSource) = try configuration.resolveJWTSecret()
            let (sealer, keySource) = try configuration.resolveMainKey()
            let store: SQLiteStore
            do {
                store = try SQLiteStore(path: path, sealer: sealer, logger: Logger(label: "herald.sqlite"))
            } catch {
                throw ConfigurationError("cannot open the SQLite database \(path): \(error)")
            }
            let sources = "JWT secret from \(secretSource), main key from \(keySource)"
            try await serve(
                configuration,
                store: store,
                tokens: try await TokenAuthority(secret: Array(secret.utf8)),
                sources: sources,
                logger: logger
            )
            withExtendedLifetime(lock) {}
        case .postgres(let location):
            let (secret, secretSource) = try configuration.resolveJWTSecret()
            let (sealer, keySource) = try configuration.resolveMainKey()
            let store = PostgresStore(location: location, sealer: sealer, logger: Logger(label: "herald.postgres"))
            try await serve(
                configuration,
                store: store,
                storeService: store,
                tokens: try await TokenAuthority(secret: Array(secret.utf8)),
                sources: "JWT secret from \(secretSource), main key from \(keySource)",
                logger: logger
            )
        }
        logger.notice("Herald stopped")
    }

    /// A database path must name a file Herald can create or open, not a directory.
    static func checkDatabasePath(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigurationError("the database path \(path) is a directory; name a file in it, e.g. --database sqlite:\(path)/herald.db")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw ConfigurationError("the directory of the database path \(path) does not exist")
        }
    }

    /// Runs one service group: the store's own service first when it has one (PostgreSQL: the pool, its loops and the
    /// migrations), then Herald's services once the store is ready. Graceful shutdown goes the other way: the HTTP
    /// server stops taking requests, the dispatcher finishes its sends, and the store stops last.
    private func serve(
        _ configuration: HeraldConfiguration,
        store: any HeraldStore,
        storeService: PostgresStore? = nil,
        tokens: TokenAuthority,
        sources: String,
        logger: Logger
    ) async throws {
        let herald = AfterStoreIsReady(
            ready: { try await storeService?.ready() },
            services: { try await heraldServices(configuration, store: store, tokens: tokens, sources: sources, logger: logger) }
        )
        let services: [any Service] = (storeService.map { [$0] } ?? []) + [herald]
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    /// The API and the dispatcher (as `role` says), in a group of their own inside the process's one group.
    private func heraldServices(
        _ configuration: HeraldConfiguration,
        store: any HeraldStore,
        tokens: TokenAuthority,
        sources: String,
        logger: Logger
    ) async throws -> ServiceGroup {
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
                "Herald listening on http://\(configuration.host):\(port), database \(configuration.database); \(sources); webhooks may reach \(Self.reach(configuration)); get a token with: herald token create"
            )
        }
        let services: [any Service] =
            switch role {
            case .api: [app]
            case .worker: [dispatcher]
            case .all: [dispatcher, app]
            }
        if role == .worker {
            logger.notice(
                "Herald delivery worker running on database \(configuration.database); \(sources); webhooks may reach \(Self.reach(configuration))"
            )
        }
        return ServiceGroup(configuration: .init(services: services, logger: logger))
    }

    /// Where webhooks may go, as the start-up line says it.
    static func reach(_ configuration: HeraldConfiguration) -> String {
        let allowed = configuration.delivery.destinationPolicy.allowedSubnets
        return allowed.isEmpty
            ? "public addresses only (HERALD_ALLOWED_SUBNETS adds networks)"
            : "public addresses and \(allowed.map(\.description).joined(separator: ", "))"
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

/// Services that need the store: built and run once it is ready, inside the group that runs the store.
struct AfterStoreIsReady: Service {
    let ready: @Sendable () async throws -> Void
    let services: @Sendable () async throws -> ServiceGroup

    func run() async throws {
        do {
            // Waiting for the store (migrations) ends early if the process is asked to stop meanwhile.
            try await cancelWhenGracefulShutdown { try await ready() }
        } catch is CancellationError {
            return
        }
        try await services().run()
    }
}
