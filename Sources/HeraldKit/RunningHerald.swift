import HeraldAPI
import HeraldCore
import HeraldDelivery
import HeraldSetup
import Hummingbird
import Logging
import ServiceLifecycle

/// What exists once the store is ready: the API (as a responder the Swift calls and mounted routes use), the
/// dispatcher and, when asked, Herald's own HTTP server.
struct RunningHerald: Sendable {
    let responder: RouterResponder<HeraldRequestContext>
    /// An org token that never leaves the process: the Swift calls go through the same authentication as HTTP.
    let authorization: String
    let publicURL: String
    let metrics: MetricsExposition?
    let services: ServiceGroup

    static func start(
        configuration: HeraldConfiguration,
        store: any HeraldStore,
        jwtSecret: [UInt8],
        organization: String,
        parts: Herald.Parts,
        export: PrometheusExport?,
        logger: Logger,
        onHTTPServerRunning: @escaping @Sendable (Int) async -> Void
    ) async throws -> RunningHerald {
        let tokens = try await TokenAuthority(secret: jwtSecret)
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
                limits: configuration.limits,
                retrySchedule: configuration.delivery.retryPolicy.schedule,
                requestTimeoutSeconds: configuration.delivery.requestTimeoutSeconds,
                idempotencyWindowSeconds: APISettings.idempotencyWindow(retention: configuration.retention)
            ),
            operational: operational,
            metrics: export?.metrics ?? .off,
            metricsExposition: export.map { ($0.exposition(queue: store), organization) }
        )
        var services: [(name: String, service: any Service)] = []
        if parts.contains(.delivery) {
            // With SQLite one worker owns the queue, so leases found at start belong to a process that died.
            // Instances sharing PostgreSQL leave each other's leases alone: a dead instance's run out.
            services.append(
                (
                    "the delivery worker",
                    Dispatcher(
                        store: store,
                        settings: configuration.delivery,
                        operational: operational,
                        releaseAllLeasesAtStart: !store.servesSeveralInstances,
                        metrics: export?.metrics ?? .off,
                        logger: Logger(label: "herald.delivery")
                    )
                )
            )
            services.append(("retention", Retention(store: store, period: configuration.retention, logger: Logger(label: "herald.retention"))))
        }
        if parts.contains(.httpServer) {
            services.append(("the inbound traffic counter", environment.sourceTrafficFlusher))
            services.append(
                (
                    "the HTTP server",
                    buildApplication(
                        environment: environment,
                        host: configuration.host,
                        port: configuration.port,
                        logger: logger,
                        onServerRunning: onHTTPServerRunning
                    )
                )
            )
        }
        // Whatever else runs (a worker has no API), so every role can be scraped.
        if let metricsPort = configuration.metricsPort, let export {
            services.append(
                (
                    "the metrics listener",
                    buildMetricsApplication(
                        exposition: export.exposition(queue: store),
                        host: configuration.metricsHost,
                        port: metricsPort,
                        logger: logger,
                        onServerRunning: { port in logger.notice("metrics on http://\(configuration.metricsHost):\(port)/metrics (no token)") }
                    )
                )
            )
        }
        return RunningHerald(
            responder: HeraldRouter.build(environment: environment).buildResponder(),
            authorization: "Bearer " + (try await tokens.orgToken(orgID: organization)),
            publicURL: configuration.effectivePublicURL,
            metrics: export?.exposition(queue: store),
            services: ServiceGroup(
                configuration: .init(services: services.map { StopWatch(service: $0.service, name: $0.name, logger: logger) }, logger: logger)
            )
        )
    }

    /// The operational-webhook endpoint, when configured: its secret is given, or kept in a file beside the SQLite
    /// database.
    private static func setUpOperationalWebhooks(
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
            "operational webhooks go to \(URLRedaction.shown(url, keepPath: false)) (endpoint \(endpointID) of org \(OperationalWebhooks.managementOrgID))"
        )
        return webhooks
    }
}
