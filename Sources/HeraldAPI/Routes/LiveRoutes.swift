import HTTPTypes
import HeraldCore
import Hummingbird
import ServiceLifecycle

/// `GET /live`: what the dashboard and the portal show, pushed as Server-Sent Events and scoped by the token — an org
/// token sees its organisation (or one application with `app_id`), an app token its application. Events: `health`
/// (every endpoint) and `history` (counts per 10 s over the last 10 minutes) at connect, then `message`, `attempt`,
/// `endpoint` (an endpoint changed) and `stats` (every 2 s). Under heavy load the activity events are a sample: a look
/// that finds more than a page of news skips ahead to the present rather than falling behind. Ids
/// are `<milliseconds>-<object id>`; with `Last-Event-ID` a reconnecting view gets what it missed. Everything is read
/// from the database, so a view connected to one instance sees what every instance did.
struct LiveRoutes {
    let environment: APIEnvironment

    /// How often the stream looks for news, and how far back each look reaches (so a commit that lands a little
    /// after a later one is not missed; what was already sent is not sent again).
    static let tick = Duration.milliseconds(500)
    static let overlapMilliseconds: Int64 = 3000
    static let statsEvery = Duration.seconds(2)
    static let statsWindowSeconds = 60
    static let historyMinutes = 10
    static let historyBucketSeconds = 10
    /// Most activity events one look sends.
    static let pageLimit = 500

    var routes: [RouteSpec] {
        [RouteSpec(.get, "live", live)]
    }

    /// The time a `Last-Event-ID` (`<milliseconds>-<object id>`, as this stream writes them) resumes from; anything
    /// else is a 422. A stream resumes at most `resumeLimitSeconds` back (older news was sampled away anyway), and
    /// never from the future.
    static func resumeTime(_ lastEventID: String, now: Timestamp) throws -> Timestamp {
        let digits = lastEventID.utf8.prefix { $0 != UInt8(ascii: "-") }
        guard !digits.isEmpty, digits.count <= 16, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let milliseconds = Int64(String(decoding: digits, as: UTF8.self))
        else {
            throw HeraldError.validation(loc: ["header", "Last-Event-ID"], "not an event id of this stream")
        }
        let earliest = now.adding(seconds: -resumeLimitSeconds).milliseconds
        return Timestamp(milliseconds: min(max(milliseconds, earliest), now.milliseconds))
    }

    static let resumeLimitSeconds: Int64 = 3600

    @Sendable func live(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var appID = principal.appID
        if let requested = QueryParameters(request).string("app_id") {
            guard let application = try await environment.lookUpApplication(orgID: principal.orgID, idOrUID: requested),
                principal.appID == nil || principal.appID == application.id
            else { throw HeraldError.notFound() }
            appID = application.id
        }
        let now = environment.clock.now()
        let resumeFrom = try request.headers[HTTPField.Name("Last-Event-ID")!].map { try Self.resumeTime($0, now: now) }
        let scope = LiveScope(orgID: principal.orgID, appID: appID)
        let store: any LiveStore = environment.store
        let clock = environment.clock
        let token = context.token
        let streamSlot = try environment.openStream(context)
        let subscription = environment.liveHub.subscribe(scope, store: store, clock: clock)
        let environment = environment
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                defer { withExtendedLifetime((streamSlot, subscription)) {} }
                var watch = TokenWatch(token: token, environment: environment)
                let shared = subscription.feed
                var cursor = shared.cursor
                let health = try await store.endpointHealth(orgID: scope.orgID, appID: scope.appID, changedSince: nil)
                try await writer.write(
                    try ServerSentEvents.event("health", id: nil, LiveEvent.HealthOut(endpoints: health.map(LiveEvent.EndpointOut.init)))
                )
                let history = try await store.liveHistory(
                    orgID: scope.orgID,
                    appID: scope.appID,
                    now: clock.now(),
                    minutes: Self.historyMinutes,
                    bucketSeconds: Self.historyBucketSeconds
                )
                let buckets = history.map { LiveEvent.HistoryOut.Bucket(at: $0.start, messages: $0.messages, deliveries: $0.successfulAttempts) }
                try await writer.write(
                    try ServerSentEvents.event("history", id: nil, LiveEvent.HistoryOut(bucketSeconds: Self.historyBucketSeconds, buckets: buckets))
                )
                // A reconnecting viewer catches up on its own, once; from then on it shares the scope's reader (the
                // overlap is dropped by the page, as after any reconnect).
                if let resumeFrom {
                    var catchUp = LiveFeed(scope: scope, store: store, since: resumeFrom)
                    for event in try await catchUp.next(now: clock.now()) { try await writer.write(event) }
                }
                try await withGracefulShutdownHandler {
                    var nextStats = ContinuousClock.now
                    while !Task.isCancelled, !Task.isShuttingDownGracefully, try await watch.stillValid() {
                        let news = try await shared.events(after: cursor)
                        cursor = news.cursor
                        for event in news.events { try await writer.write(event) }
                        if ContinuousClock.now >= nextStats, let stats = try await shared.stats() {
                            try await writer.write(stats)
                            nextStats = .now + Self.statsEvery
                        }
                        try await Task.sleep(for: Self.tick)
                    }
                } onGracefulShutdown: {
                }
                try await writer.finish(nil)
            }
        )
    }
}

/// Whose activity a live stream shows.
struct LiveScope: Sendable, Hashable {
    var orgID: String
    var appID: String?
}

/// The news of one live stream: each look reads a little before the last one ended and drops what it already sent.
struct LiveFeed: Sendable {
    let scope: LiveScope
    let store: any LiveStore
    var since: Timestamp
    /// Ids sent within the overlap, with when they happened (endpoint changes keyed with their update time).
    var sent: [String: Int64] = [:]

    init(scope: LiveScope, store: any LiveStore, since: Timestamp) {
        self.scope = scope
        self.store = store
        self.since = since
    }

    mutating func next(now: Timestamp) async throws -> [ByteBuffer] {
        let from = since.adding(milliseconds: -LiveRoutes.overlapMilliseconds)
        var events: [ByteBuffer] = []
        let activities = try await store.liveActivity(orgID: scope.orgID, appID: scope.appID, since: from, limit: LiveRoutes.pageLimit)
        for activity in activities {
            guard sent[activity.id] == nil else { continue }
            sent[activity.id] = activity.createdAt.milliseconds
            let id = "\(activity.createdAt.milliseconds)-\(activity.id)"
            switch activity {
            case .message(let message): events.append(try ServerSentEvents.event("message", id: id, LiveEvent.MessageOut(message)))
            case .attempt(let attempt): events.append(try ServerSentEvents.event("attempt", id: id, LiveEvent.AttemptOut(attempt)))
            }
            since = max(since, activity.createdAt)
        }
        for health in try await store.endpointHealth(orgID: scope.orgID, appID: scope.appID, changedSince: from) {
            let key = "\(health.endpoint.id)@\(health.endpoint.updatedAt.milliseconds)@\(health.deleted)"
            guard sent[key] == nil else { continue }
            sent[key] = health.endpoint.updatedAt.milliseconds
            events.append(try ServerSentEvents.event("endpoint", id: nil, LiveEvent.EndpointOut(health)))
        }
        // A quiet stream moves its window up to now; a flooded one skips ahead rather than fall behind.
        if events.isEmpty || activities.count == LiveRoutes.pageLimit {
            since = max(since, now.adding(milliseconds: -LiveRoutes.overlapMilliseconds))
        }
        let horizon = since.milliseconds - 2 * LiveRoutes.overlapMilliseconds
        sent = sent.filter { $0.value >= horizon }
        return events
    }
}
