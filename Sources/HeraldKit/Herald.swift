import HeraldAPI
import HeraldCore
import HeraldDelivery
import HeraldSetup
import Logging
import ServiceLifecycle
import Synchronization

/// Herald inside a Swift application: a `Service` for the host's `ServiceGroup` that runs the delivery dispatcher
/// (and, if asked, Herald's own HTTP server) on an embedded SQLite file or on PostgreSQL, with the API at hand as
/// Swift calls (`herald.messages.create(…)`) and as routes the host can mount on its own router (`herald.routes(…)`).
///
/// The Swift calls run the same route handlers `herald serve` answers HTTP with, in process (no socket, no parsing
/// of HTTP): validation, limits, idempotency and errors are the server's, and a message call returns only once the
/// message is committed to the database.
///
/// ```swift
/// let herald = try Herald(configuration: .init(database: .sqlite(path: "webhooks.db")))
/// let group = ServiceGroup(services: [herald, hostApp], gracefulShutdownSignals: [.sigterm], logger: logger)
/// // in a route: try await herald.messages.create(app: "acme", eventType: "invoice.paid", payload: ["id": "inv_1"])
/// ```
public final class Herald: Service, Sendable {
    /// What `run()` starts besides what the Swift calls need.
    public struct Parts: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// The delivery dispatcher: sends webhooks and retries them.
        public static let delivery = Parts(rawValue: 1 << 0)
        /// Herald's own HTTP server on the configuration's host and port (the host may mount the routes instead).
        public static let httpServer = Parts(rawValue: 1 << 1)
    }

    public let configuration: HeraldConfiguration
    /// The organisation the Swift calls act for (org tokens made by `herald token create` default to the same one).
    public let organization: String
    private let parts: Parts
    private let opened: OpenedStore
    /// None when the configuration turns metrics off.
    private let export: PrometheusExport?
    let logger: Logger
    private let readiness = Readiness()
    private let running = Mutex<RunningHerald?>(nil)
    private let onHTTPServerRunning: @Sendable (HTTPServerStart) async -> Void

    /// Opens the database named by `configuration` (creating an SQLite file and its key files if they are missing);
    /// nothing runs until `run()`.
    /// - Parameters:
    ///   - parts: the dispatcher by default; add `.httpServer` to listen on `configuration.host`/`port` as well.
    ///   - organization: the org id the Swift calls and mounted routes act for.
    ///   - onHTTPServerRunning: called when Herald's own HTTP server is listening, with its port.
    public init(
        configuration: HeraldConfiguration,
        parts: Parts = [.delivery],
        organization: String = TokenAuthority.defaultOrgID,
        logger: Logger = Logger(label: "herald"),
        onHTTPServerRunning: @escaping @Sendable (HTTPServerStart) async -> Void = { _ in }
    ) throws {
        guard organization.hasPrefix("org_"), FieldRules.isIdentifierLike(organization) else {
            throw ConfigurationError("the organisation must be an org id such as \(TokenAuthority.defaultOrgID)")
        }
        self.configuration = configuration
        self.parts = parts
        self.organization = organization
        self.logger = logger
        self.onHTTPServerRunning = onHTTPServerRunning
        let export = configuration.metricsEnabled ? PrometheusExport(backend: configuration.database.backendName) : nil
        self.export = export
        self.opened = try OpenedStore(configuration: configuration, metrics: export?.metrics ?? .off, logger: logger)
    }

    /// Where the keys came from (environment or the files beside the SQLite database), for a start-up line.
    public var keySources: String { opened.keySources }

    /// Runs the store's own service (PostgreSQL: its pool, migrations and notifications), then the parts asked for,
    /// until graceful shutdown. The Swift calls and mounted routes work while it runs. A `Herald` runs once: to run
    /// again, make a new one (the SQLite lock is released with the old one).
    public func run() async throws {
        let services = AfterStoreIsReady(
            ready: { [opened] in try await opened.ready() },
            services: { [self] in
                let running = try await RunningHerald.start(
                    configuration: configuration,
                    store: opened.store,
                    jwtSecret: opened.jwtSecret,
                    organization: organization,
                    parts: parts,
                    export: export,
                    logger: logger,
                    onHTTPServerRunning: { [onHTTPServerRunning, opened] port in
                        await onHTTPServerRunning(HTTPServerStart(port: port, keySources: opened.keySources))
                    }
                )
                self.running.withLock { $0 = running }
                readiness.open(.success(()))
                return running.services
            }
        )
        let group = ServiceGroup(
            configuration: .init(
                services: (opened.service.map { [StopWatch(service: $0, name: "the database store", logger: logger)] } ?? []) + [services],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            readiness.open(.failure(error))
            // Nothing is delivered any more: the Swift calls and mounted routes must not accept messages meanwhile.
            running.withLock { $0 = nil }
            throw error
        }
        readiness.open(.failure(HeraldKitError.stopped))
        running.withLock { $0 = nil }
    }

    /// Returns once the Swift calls can be answered: the store is ready (migrations done) and the API is built.
    public func ready() async throws {
        try await readiness.wait()
    }

    /// Messages (events) of an application.
    public var messages: Messages { Messages(api: api) }
    /// Applications (one per customer).
    public var applications: Applications { Applications(api: api) }
    /// Endpoints of an application.
    public var endpoints: Endpoints { Endpoints(api: api) }
    /// The event-type catalogue.
    public var eventTypes: EventTypes { EventTypes(api: api) }

    /// The metrics in Prometheus' text format, as `/metrics` serves them: for a host that exposes them on its own
    /// router or feeds them to its own collector. Waits until Herald is ready; empty when metrics are off.
    public func metricsText() async throws -> String {
        guard let exposition = try await runningAPI().metrics else { return "" }
        return String(decoding: await exposition.render(), as: UTF8.self)
    }

    /// Runs retention once, now (what `herald prune` does): expired payloads, messages older than `retention` (with
    /// their deliveries, attempts and feed entries; none when nil) and expired idempotency keys and revocations.
    /// Waits until Herald is ready.
    public func prune(retention: RetentionPeriod?) async throws -> Retention.Report {
        _ = try await runningAPI()
        return await Retention(store: opened.store, period: retention, exactCutoff: true, logger: logger).sweep()
    }

    /// Any route of the API, for what the typed calls do not cover.
    public var api: InProcessAPI { InProcessAPI(herald: self) }

    /// The running API, once ready.
    func runningAPI() async throws -> RunningHerald {
        try await ready()
        guard let running = running.withLock({ $0 }) else { throw HeraldKitError.stopped }
        return running
    }

    /// The running API if it is ready now, without waiting (mounted routes answer 503 before).
    var runningNow: RunningHerald? { running.withLock { $0 } }
}

/// Herald's own HTTP server has started.
public struct HTTPServerStart: Sendable {
    /// The port it listens on (the one bound, when the configuration asked for port 0).
    public var port: Int
    /// Where the keys came from, for the start-up line.
    public var keySources: String
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
