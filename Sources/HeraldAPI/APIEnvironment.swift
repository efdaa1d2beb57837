import HeraldCore
import Hummingbird
import Logging

/// Settings of the HTTP API, taken from Herald's configuration.
public struct APISettings: Sendable {
    /// Refuse `http://` endpoint URLs.
    public var httpsOnly: Bool
    /// Largest request body accepted.
    public var maxBodyBytes: Int
    /// Kind of secret generated for endpoints created without one.
    public var defaultSecretKind: EndpointSecret.Kind
    /// Base URL the app-portal link points at.
    public var publicURL: String
    /// Literal-IP endpoint URLs outside it are refused when written.
    public var destinationPolicy: DestinationPolicy
    /// How often an open stream looks again whether its token was logged out (expiry is checked at every step).
    public var tokenRecheckInterval: Duration
    /// What one tenant or token may use.
    public var limits: TenantLimits
    /// The server's retry schedule and request timeout, shown beside an endpoint policy that does not set its own.
    public var retrySchedule: [Double]
    public var requestTimeoutSeconds: Int
    /// How long an idempotent request's answer is replayed (`idempotencyWindow(retention:)`).
    public var idempotencyWindowSeconds: Int64

    public init(
        httpsOnly: Bool = false,
        maxBodyBytes: Int = 1 << 20,
        defaultSecretKind: EndpointSecret.Kind = .hmac,
        publicURL: String = "http://localhost:8071",
        destinationPolicy: DestinationPolicy = DestinationPolicy(),
        tokenRecheckInterval: Duration = .seconds(15),
        limits: TenantLimits = TenantLimits(),
        retrySchedule: [Double] = RetryPolicy.defaultSchedule,
        requestTimeoutSeconds: Int = DeliverySettings().requestTimeoutSeconds,
        idempotencyWindowSeconds: Int64 = APISettings.idempotencyWindow(retention: nil)
    ) {
        self.idempotencyWindowSeconds = max(1, idempotencyWindowSeconds)
        self.retrySchedule = retrySchedule
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.httpsOnly = httpsOnly
        self.maxBodyBytes = maxBodyBytes
        self.defaultSecretKind = defaultSecretKind
        self.publicURL = publicURL
        self.destinationPolicy = destinationPolicy
        self.tokenRecheckInterval = tokenRecheckInterval
        self.limits = limits
    }
}

extension APISettings {
    /// Svix's 12 hours, or the retention period when that is shorter: a message's answer holds its payload, and
    /// retention promises that nothing of a message outlives it (retention's sweep also deletes the answers of the
    /// messages it deletes). Never under a minute, the sweep's own precision: an answer must outlive the commit that
    /// writes it and the duplicates waiting for it. A retry after the window creates the message again.
    public static func idempotencyWindow(retention: RetentionPeriod?) -> Int64 {
        max(60, min(12 * 3600, retention?.seconds ?? .max))
    }
}

/// What every route needs: storage, tokens, settings and the clock.
public struct APIEnvironment: Sendable {
    public var store: any HeraldStore
    public var tokens: TokenAuthority
    public var settings: APISettings
    public var clock: any WallClock
    /// Where `endpoint.*` operational events go, when configured.
    public var operational: OperationalWebhooks?
    /// What requests and accepted messages are counted into.
    public var metrics: HeraldMetrics
    /// `GET /metrics`: the current metrics in Prometheus' text format, for org tokens of the operator's organisation;
    /// no route when nil.
    public var metricsExposition: (exposition: MetricsExposition, operatorOrgID: String)?
    /// Tokens verified recently (shared by the auth middleware and logout).
    let verifiedTokens = VerifiedTokenCache()
    /// Applications looked up recently. Where instances share the store, used only while news of the others' changes
    /// are followed (`SharedChangeNews`): a change made on one holds on the others once its news arrive.
    let applications: RecentLookups<Application>
    /// Sources looked up by ingest token in the last second. Used on every backend: where instances share the store, a
    /// change to a source (disabled, rotated, deleted) reaches the others' ingest URLs with its news, and within that
    /// second if news are not followed — bounded, documented, and what keeps a flood of unknown tokens from slowing the
    /// known ones (`IngestRoute`).
    let sources: RecentLookups<IngestTarget>
    /// Whether values other instances may change (an application, a token's revocation) must be read from the store
    /// on every request: instances share it and news of their changes are not followed now.
    let sharedValuesReadEachTime: @Sendable () -> Bool
    /// Message creation per application.
    let messageRate: RateLimiter
    /// Resends and recovers per application.
    let resendRate: RateLimiter
    /// Open streams per token and per tenant.
    let streams: StreamCounter

    /// Streams open now (live views and feed streams), counted once each.
    public var openStreamCount: Int { streams.count(prefix: "token:") }
    /// Streams opened per tenant: each open reads the database on its own (health, history). A tenth of the token's
    /// stream cap per second, bursts of three caps.
    let streamOpenRate: RateLimiter
    /// The live views' shared readers, one per scope watched.
    let liveHub = LiveHub()
    /// What sources' ingest URLs received, until `sourceTrafficFlusher` stores it.
    let sourceTraffic = SourceTrafficMeter()
    /// Keeps `sourceTraffic` in the store: run it beside the HTTP server.
    public var sourceTrafficFlusher: SourceTrafficFlusher {
        SourceTrafficFlusher(meter: sourceTraffic, store: store, logger: Logger(label: "herald.inbound"))
    }

    public init(
        store: any HeraldStore,
        tokens: TokenAuthority,
        settings: APISettings,
        clock: any WallClock = SystemWallClock(),
        operational: OperationalWebhooks? = nil,
        metrics: HeraldMetrics = .off,
        metricsExposition: (exposition: MetricsExposition, operatorOrgID: String)? = nil
    ) {
        self.metrics = metrics
        self.metricsExposition = metricsExposition
        self.store = store
        self.tokens = tokens
        self.settings = settings
        self.clock = clock
        self.operational = operational
        let news = store.sharedChanges
        let shared = store.servesSeveralInstances
        let readEachTime: @Sendable () -> Bool = { shared && !(news?.isFollowing ?? false) }
        self.sharedValuesReadEachTime = readEachTime
        self.applications = RecentLookups(answersWhile: { !readEachTime() })
        self.sources = RecentLookups()
        let limits = settings.limits
        self.messageRate = RateLimiter(perSecond: limits.messagesPerSecondPerApplication, burst: 2 * limits.messagesPerSecondPerApplication)
        // The burst always holds a recover, so a slow rate delays recovers but never refuses them for good.
        self.resendRate = RateLimiter(
            perSecond: limits.resendsPerSecondPerApplication,
            burst: max(10 * limits.resendsPerSecondPerApplication, TenantLimits.recoverCost)
        )
        self.streams = StreamCounter(maxPerToken: limits.maxStreamsPerToken)
        self.streamOpenRate = RateLimiter(perSecond: Double(limits.maxStreamsPerToken) / 10, burst: 3 * Double(limits.maxStreamsPerToken))
        news?.observe { [applications, sources, verifiedTokens] change in
            Self.apply(change, applications: applications, sources: sources, verifiedTokens: verifiedTokens)
        }
    }

    /// Applies a committed change to this instance's caches, then tells the other instances sharing the store.
    func changed(_ change: SharedChange) async {
        Self.apply(change, applications: applications, sources: sources, verifiedTokens: verifiedTokens)
        await store.announce(change)
    }

    private static func apply(
        _ change: SharedChange,
        applications: RecentLookups<Application>,
        sources: RecentLookups<IngestTarget>,
        verifiedTokens: VerifiedTokenCache
    ) {
        switch change {
        case .applications:
            // A source's target names its application's organisation, and an application's deletion ends its sources.
            applications.invalidateAll()
            sources.invalidateAll()
        case .sources:
            sources.invalidateAll()
        case .tokenRevoked(let hash):
            verifiedTokens.forget(revocationHash: hash)
        case .unknown:
            applications.invalidateAll()
            sources.invalidateAll()
            verifiedTokens.forgetAll()
        }
    }

    /// Takes `cost` from the application's bucket of `limiter`, or throws 429 with when to try again.
    func take(_ limiter: RateLimiter, for application: Application, cost: Double = 1, what: String) throws {
        if let seconds = limiter.take(application.id, cost: cost) {
            throw HeraldError.tooManyRequests("Too many \(what) for this application; try again in \(seconds) s", retryAfterSeconds: seconds)
        }
    }

    /// Throws 429 when the application's bucket of `limiter` cannot pay `cost` now, taking nothing: a request that
    /// would be refused anyway costs no further work, and one that fails validation costs the bucket nothing.
    func checkRoom(_ limiter: RateLimiter, for application: Application, cost: Double = 1, what: String) throws {
        if let seconds = limiter.wouldGrant(application.id, cost: cost) {
            throw HeraldError.tooManyRequests("Too many \(what) for this application; try again in \(seconds) s", retryAfterSeconds: seconds)
        }
    }

    /// Counts an opening stream against its token's cap and its tenant's (the application of an app token, else the
    /// organisation; five tokens' worth), after the tenant's rate of opening streams (each open reads the database on
    /// its own); throws 429. The stream is counted while the slots live.
    func openStream(_ context: HeraldRequestContext) throws -> [StreamCounter.Slot] {
        let principal = try context.requirePrincipal()
        let tenant = principal.appID.map { "app:" + $0 } ?? "org:" + principal.orgID
        if let seconds = streamOpenRate.take(tenant) {
            throw HeraldError.tooManyRequests("Streams are being opened too often; try again in \(seconds) s", retryAfterSeconds: seconds)
        }
        guard let slot = streams.acquire("token:" + (context.token?.revocationHashes.first ?? ""), cap: streams.maxPerToken) else {
            throw HeraldError.tooManyRequests("This token already has \(streams.maxPerToken) streams open; close one first", retryAfterSeconds: 5)
        }
        guard let tenantSlot = streams.acquire(tenant, cap: 5 * streams.maxPerToken) else {
            throw HeraldError.tooManyRequests("This tenant already has \(5 * streams.maxPerToken) streams open", retryAfterSeconds: 5)
        }
        return [slot, tenantSlot]
    }

    /// Queues an `endpoint.*` operational event. The change it reports is already committed, so a failure to queue
    /// is logged rather than failing the request.
    func emit(_ type: OperationalWebhooks.EventType, endpoint: Endpoint, in application: Application, context: HeraldRequestContext) async {
        guard let operational else { return }
        var data: [String: JSONValue] = ["appId": .string(application.id), "endpointId": .string(endpoint.id)]
        if let uid = application.uid { data["appUid"] = .string(uid) }
        if let uid = endpoint.uid { data["endpointUid"] = .string(uid) }
        do {
            try await operational.emit(type, orgID: application.orgID, data: data)
        } catch {
            context.logger.error("queueing an operational webhook failed", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
    }

    /// Where an application may reach private networks, only org tokens may change its endpoints: its customers (app
    /// tokens, the portal) could otherwise point one at an internal service, or add headers it trusts, and read its
    /// answers.
    func checkEndpointWrite(_ context: HeraldRequestContext, in application: Application) throws {
        guard !application.allowedSubnets.isEmpty else { return }
        guard context.principal?.appID == nil else {
            throw HeraldError.forbidden("This application may reach private networks: its endpoints are changed with an org token only")
        }
    }

    /// Records who wrote an endpoint last: only an org token's writes let it reach the application's granted networks
    /// (an endpoint an app token wrote before a grant, by a name that resolves inside it, stays guarded).
    func markWriter(of endpoint: inout Endpoint, _ context: HeraldRequestContext) {
        endpoint.orgApproved = context.principal.map { $0.appID == nil } ?? false
    }

    /// The settings that judge `application`'s endpoints: its granted private networks added to the guard's.
    func settings(for application: Application) -> APISettings {
        guard !application.allowedSubnets.isEmpty else { return settings }
        var granted = settings
        granted.destinationPolicy = settings.destinationPolicy.granting(application.allowedSubnets)
        return granted
    }

    /// Decodes a bounded JSON body.
    func decode<Value: Decodable>(_ type: Value.Type, from request: Request) async throws -> Value {
        let buffer = try await RequestDecoding.body(of: request, limit: settings.maxBodyBytes)
        return try RequestDecoding.decode(type, from: buffer)
    }

    /// The application named in the path (id or uid), as the caller may see it: an app token reaches only its own
    /// application, and any other is reported as not found. `fresh` reads it from the store, not the cache: a change
    /// built on it and written back must not undo one made on another instance a moment before.
    func application(_ context: HeraldRequestContext, fresh: Bool = false) async throws -> Application {
        let principal = try context.requirePrincipal()
        let idOrUID = try context.parameters.require("app_id")
        let found =
            fresh
            ? try await store.application(orgID: principal.orgID, idOrUID: idOrUID)
            : try await lookUpApplication(orgID: principal.orgID, idOrUID: idOrUID)
        guard let application = found, principal.appID == nil || principal.appID == application.id else {
            throw HeraldError.notFound()
        }
        return application
    }

    /// An application by id or uid, from the cache when it was read in the last second.
    func lookUpApplication(orgID: String, idOrUID: String) async throws -> Application? {
        let now = clock.now()
        if let cached = applications.lookup(orgID + "|" + idOrUID, now: now) { return cached }
        let generation = applications.generation
        let application = try await store.application(orgID: orgID, idOrUID: idOrUID)
        if let application { applications.store(application, as: orgID + "|" + idOrUID, now: now, readAt: generation) }
        return application
    }

    /// The message named in the path (id or eventId), within `application`.
    func message(_ context: HeraldRequestContext, in application: Application) async throws -> Message {
        let idOrEventID = try context.parameters.require("msg_id")
        guard let message = try await store.message(appID: application.id, idOrEventID: idOrEventID) else {
            throw HeraldError.notFound()
        }
        return message
    }

    /// The endpoint named in the path, within `application`.
    func endpoint(_ context: HeraldRequestContext, in application: Application) async throws -> Endpoint {
        let idOrUID = try context.parameters.require("endpoint_id")
        guard let endpoint = try await store.endpoint(appID: application.id, idOrUID: idOrUID) else {
            throw HeraldError.notFound()
        }
        return endpoint
    }
}
