import HTTPTypes
import HeraldCore
import Hummingbird
import ServiceLifecycle

/// `/app/{app_id}/poller/{sink_id}`: the feed of a polling endpoint (`url` = `poller://`) — every message its filters
/// match, in commit order — read by cursor, by a consumer whose position the server keeps, or as a stream.
struct PollerRoutes {
    let environment: APIEnvironment

    /// Longest `wait` a poll may ask for, in seconds.
    static let maxWaitSeconds = 30
    /// How often a waiting read looks again even without news (a commit can become readable without a signal: on
    /// PostgreSQL, when an older transaction ends).
    static let recheck = Duration.milliseconds(250)
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// Comment lines sent on an idle stream, so proxies keep it open.
    static let keepAlive = Duration.seconds(15)

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app/:app_id/poller/:sink_id", poll),
            RouteSpec(.get, "app/:app_id/poller/:sink_id/stream", stream),
            RouteSpec(.get, "app/:app_id/poller/:sink_id/consumer/:consumer_id", consumerPoll),
            RouteSpec(.post, "app/:app_id/poller/:sink_id/consumer/:consumer_id/seek", seek),
        ]
    }

    @Sendable func poll(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let sink = try await pollingEndpoint(context)
        let query = QueryParameters(request)
        let feedQuery = FeedQuery(
            after: try iterator(query) ?? .start,
            limit: try query.limit(),
            eventType: query.string("event_type"),
            channel: query.string("channel"),
            createdAfter: try query.timestamp("after")
        )
        let page = try await read(sink, feedQuery, wait: try wait(query))
        return try JSONResponse.make(output(page))
    }

    @Sendable func consumerPoll(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let sink = try await pollingEndpoint(context)
        let consumerID = try consumer(context)
        let query = QueryParameters(request)
        var start = try iterator(query)
        if start == nil { start = try await environment.store.consumerPosition(endpointID: sink.id, consumerID: consumerID) }
        let page = try await read(sink, FeedQuery(after: start ?? .start, limit: try query.limit()), wait: try wait(query))
        try await environment.store.saveConsumerPosition(
            endpointID: sink.id,
            consumerID: consumerID,
            position: page.reached,
            now: environment.clock.now()
        )
        return try JSONResponse.make(output(page))
    }

    @Sendable func seek(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let sink = try await pollingEndpoint(context)
        let consumerID = try consumer(context)
        let input = try await environment.decode(PollingEndpointConsumerSeekIn.self, from: request)
        let position: FeedPosition
        if let iterator = input.iterator {
            guard let parsed = FeedPosition(iterator: iterator) else {
                throw HeraldError.validation(loc: ["body", "iterator"], "invalid iterator")
            }
            position = parsed
        } else if let after = input.after {
            guard let milliseconds = RFC3339.parse(after) else {
                throw HeraldError.validation(loc: ["body", "after"], "invalid datetime format", type: "value_error.datetime")
            }
            position = try await environment.store.feedPosition(endpointID: sink.id, before: Timestamp(milliseconds: milliseconds))
        } else {
            throw HeraldError.validation(loc: ["body", "after"], "field required", type: "value_error.missing")
        }
        try await environment.store.saveConsumerPosition(
            endpointID: sink.id,
            consumerID: consumerID,
            position: position,
            now: environment.clock.now()
        )
        return try JSONResponse.make(PollingEndpointConsumerSeekOut(iterator: position.iterator))
    }

    /// Server-Sent Events: every message of the feed as an event whose id is its iterator, from `Last-Event-ID`,
    /// `iterator`, a consumer's saved position (`consumer`, read but not moved), or the beginning; then live.
    @Sendable func stream(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let sink = try await pollingEndpoint(context)
        let query = QueryParameters(request)
        var start = try request.headers[Self.lastEventID].map { value -> FeedPosition in
            guard let position = FeedPosition(iterator: value) else {
                throw HeraldError.validation(loc: ["header", "Last-Event-ID"], "invalid iterator")
            }
            return position
        }
        if start == nil { start = try iterator(query) }
        if start == nil, let consumerID = query.string("consumer") {
            start = try await environment.store.consumerPosition(endpointID: sink.id, consumerID: consumerID)
        }
        let eventType = query.string("event_type")
        let channel = query.string("channel")
        let store = environment.store
        let clock = environment.clock
        let first = start ?? .start
        let token = context.token
        let streamSlot = try environment.openStream(context)
        let environment = environment
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                defer { withExtendedLifetime(streamSlot) {} }
                var watch = TokenWatch(token: token, environment: environment)
                try await writer.write(ByteBuffer(string: ": herald feed of \(sink.id)\n\n"))
                try await withGracefulShutdownHandler {
                    var position = first
                    var idleSince = ContinuousClock.now
                    while !Task.isCancelled, !Task.isShuttingDownGracefully, try await watch.stillValid() {
                        let page = try await store.readFeed(
                            endpointID: sink.id,
                            query: FeedQuery(after: position, limit: 100, eventType: eventType, channel: channel)
                        )
                        position = page.reached
                        let now = clock.now()
                        for entry in page.entries {
                            try await writer.write(
                                try ServerSentEvents.event("message", id: entry.position.iterator, PollingEndpointMessageOut(entry.message, now: now))
                            )
                        }
                        if !page.entries.isEmpty { idleSince = .now }
                        guard page.done else { continue }
                        if ContinuousClock.now - idleSince >= Self.keepAlive {
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            idleSince = .now
                        }
                        await store.feedChanged.wait(timeout: Self.recheck)
                    }
                } onGracefulShutdown: {
                    store.feedChanged.signal()
                }
                try await writer.finish(nil)
            }
        )
    }

    /// Reads a page; with `wait`, waits up to that long for a matching message to commit when there is none yet.
    private func read(_ sink: Endpoint, _ query: FeedQuery, wait: Int) async throws -> FeedPage {
        let deadline = ContinuousClock.now + .seconds(wait)
        var query = query
        let store = environment.store
        return try await withGracefulShutdownHandler {
            while true {
                let page = try await store.readFeed(endpointID: sink.id, query: query)
                if !page.entries.isEmpty || ContinuousClock.now >= deadline || Task.isShuttingDownGracefully || Task.isCancelled {
                    return page
                }
                query.after = page.reached
                if page.done { await store.feedChanged.wait(timeout: min(Self.recheck, deadline - .now)) }
            }
        } onGracefulShutdown: {
            store.feedChanged.signal()
        }
    }

    private func output(_ page: FeedPage) -> PollingEndpointOut {
        let now = environment.clock.now()
        return PollingEndpointOut(
            data: page.entries.map { PollingEndpointMessageOut($0.message, now: now) },
            iterator: page.reached.iterator,
            done: page.done
        )
    }

    /// The polling endpoint named by `sink_id` (its id or uid).
    private func pollingEndpoint(_ context: HeraldRequestContext) async throws -> Endpoint {
        let application = try await environment.application(context)
        let idOrUID = try context.parameters.require("sink_id")
        guard let endpoint = try await environment.store.endpoint(appID: application.id, idOrUID: idOrUID) else {
            throw HeraldError.notFound()
        }
        guard endpoint.isPoller else {
            throw HeraldError.badRequest(
                "Endpoint \(endpoint.id) is not a polling endpoint: create one with the url \(EndpointURL.poller) to read messages by cursor",
                code: "not_a_polling_endpoint"
            )
        }
        return endpoint
    }

    private func consumer(_ context: HeraldRequestContext) throws -> String {
        let consumerID = try context.parameters.require("consumer_id")
        // Identifiers are checked like event-type names: 1–256 of `a-zA-Z0-9-_.`.
        let issues = FieldRules.checkEventTypeName(consumerID, loc: ["path", "consumer_id"])
        if !issues.isEmpty { throw HeraldError.validation(issues) }
        return consumerID
    }

    private func iterator(_ query: QueryParameters) throws -> FeedPosition? {
        guard let raw = query.string("iterator") else { return nil }
        guard let position = FeedPosition(iterator: raw) else {
            throw HeraldError.validation(loc: ["query", "iterator"], "invalid iterator")
        }
        return position
    }

    private func wait(_ query: QueryParameters) throws -> Int {
        let wait = try query.int("wait") ?? 0
        guard (0...Self.maxWaitSeconds).contains(wait) else {
            throw HeraldError.validation(loc: ["query", "wait"], "wait must be between 0 and \(Self.maxWaitSeconds) seconds")
        }
        return wait
    }
}
