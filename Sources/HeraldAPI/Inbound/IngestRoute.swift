import HeraldCore
import Hummingbird
import Logging
import Tracing

/// `POST /ingest/{token}`: a source's public URL, the one route that takes requests from anyone on the internet. A
/// request is bounded (rate per source, body size) before any work, verified over its raw bytes, then stored as a
/// message of the source's application — body byte for byte, the sender's headers beside it — and answered 200 only
/// after the commit. The sender's retry of an event already stored is answered 200 as well, and stored once. Every
/// failure says only "not accepted"; its status says whether retrying can help.
struct IngestRoute {
    let environment: APIEnvironment
    /// Verified requests per source: one token a second per source with a burst of two, each request costing
    /// `1 / rateLimit`, so one limiter serves every source's own rate. Charged after verification, so that requests
    /// someone without the secret sends cannot use up the sender's rate.
    let sourceRate = RateLimiter(perSecond: 1, burst: 2)
    /// Requests per source being read and verified at once: bounds what anyone holding an ingest URL can make this
    /// instance buffer and hash (64 bodies of at most `maxBodyBytes`).
    let inFlight = StreamCounter(maxPerToken: 64)
    /// Tokens found unknown in the last second, answered without a lookup. (A made-up token costs one indexed lookup,
    /// as a public health check does; no limit on them is shared with real senders, whom it would then refuse.)
    let unknownTokens = RecentLookups<Bool>()

    static let path = "/ingest/:source_token"
    /// What every ingest URL's path holds: kept out of logs and traces (the token after it is a credential).
    static let pathPrefix = "/ingest/"
    /// Ingest requests read and verified at once by this instance, all sources together.
    static let maxInFlight = 256
    /// Longest token looked up (Herald's are 70 characters); anything longer is not one.
    static let maxTokenLength = 128
    /// How long a sender has to send its body once its headers are in (senders give up on Herald's answer after ten
    /// seconds or so anyway).
    static let bodyDeadline = Duration.seconds(10)

    @Sendable func ingest(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        // A span of its own, without the path (`IngestAwareTracingMiddleware`), and a trace of its own: a `traceparent`
        // from the internet must not choose the trace (or its sampling) that the deliveries join.
        try await withSpan("herald.ingest", context: .topLevel, ofKind: .server) { span in
            do {
                let response = try await accept(request, context: context, span: span)
                span.attributes["http.response.status_code"] = Int(response.status.code)
                return response
            } catch {
                let refusal = ErrorResponses.inboundError(from: error, logger: context.logger)
                span.attributes["http.response.status_code"] = Int(ErrorResponses.status(of: refusal.kind).code)
                throw refusal
            }
        }
    }

    private func accept(_ request: Request, context: HeraldRequestContext, span: any Span) async throws -> Response {
        let metrics = environment.metrics
        let token = context.parameters.get("source_token") ?? ""
        guard token.utf8.count <= Self.maxTokenLength, let found = try await target(of: token), !found.source.disabled else {
            metrics.countInbound(.unknownSource)
            throw HeraldError.notFound()
        }
        let source = found.source
        let traffic = environment.sourceTraffic
        // A refusal counted for the operator, with a sample of what came (user agent and length, never body or secret).
        let userAgent = request.headers[.userAgent]
        let contentLength = request.headers[.contentLength].flatMap { Int($0) }
        func refused(_ reason: String, at time: Timestamp) {
            traffic.count(source.id, .rejected(reason, userAgent: userAgent, contentLength: contentLength), at: time)
        }
        span.attributes["herald.source.id"] = source.id
        span.attributes["herald.app.id"] = source.appID
        // Per source, and for all sources together: bodies held at once stay within 64 (256) of `maxBodyBytes`.
        guard let slot = inFlight.acquire(source.id, cap: inFlight.maxPerToken),
            let instanceSlot = inFlight.acquire("all sources", cap: Self.maxInFlight)
        else {
            metrics.countInbound(.rateLimited)
            refused(InboundMetricOutcome.rateLimited.rawValue, at: environment.clock.now())
            throw HeraldError.tooManyRequests("", retryAfterSeconds: 1)
        }
        defer { withExtendedLifetime((slot, instanceSlot)) {} }
        let body: [UInt8]
        do {
            let buffer = try await RequestDecoding.body(of: request, limit: environment.settings.maxBodyBytes, within: Self.bodyDeadline)
            body = Array(buffer.readableBytesView)
        } catch let error as HeraldError where error.kind == .payloadTooLarge {
            metrics.countInbound(.tooLarge)
            refused(InboundMetricOutcome.tooLarge.rawValue, at: environment.clock.now())
            throw error
        }
        let headers = InboundHeaders(request.headers.map { (name: $0.name.canonicalName, value: $0.value) })
        // A compressed body would be stored and forwarded compressed with no header saying so: refused instead.
        if headers.fields.contains(where: { $0.name == "content-encoding" && $0.value.lowercased() != "identity" }) {
            throw HeraldError(kind: .unsupportedMediaType, code: "not_accepted", detail: "Not accepted")
        }
        let now = environment.clock.now()
        do {
            try SourceVerifier(source.verification).verify(body: body, headers: headers, now: now)
        } catch let rejection as InboundRejection {
            metrics.countInbound(InboundMetricOutcome(rejection))
            refused(rejection.rawValue, at: now)
            // Debug, not notice: anyone holding the URL could otherwise fill the log; the source's counters and samples
            // keep what an operator needs.
            context.logger.debug(
                "an inbound request was not accepted",
                metadata: ["herald.source.id": "\(source.id)", "herald.app.id": "\(source.appID)", "herald.reason": "\(rejection.rawValue)"]
            )
            throw HeraldError.unauthorized("")
        }
        if let seconds = sourceRate.take(source.id, cost: 1 / Double(max(source.rateLimit, 1))) {
            metrics.countInbound(.rateLimited)
            refused(InboundMetricOutcome.rateLimited.rawValue, at: now)
            throw HeraldError.tooManyRequests("", retryAfterSeconds: seconds)
        }
        guard let application = try await environment.lookUpApplication(orgID: found.orgID, idOrUID: source.appID) else {
            metrics.countInbound(.unknownSource)
            throw HeraldError.notFound()
        }
        do {
            try environment.take(environment.messageRate, for: application, what: "messages")
        } catch {
            metrics.countInbound(.rateLimited)
            refused(InboundMetricOutcome.rateLimited.rawValue, at: now)
            throw error
        }
        let event = InboundEvent(source: source, body: body, headers: headers)
        let message = Message(
            id: IDPrefix.message.makeID(timestampMs: now.milliseconds),
            appID: application.id,
            eventType: event.eventType,
            eventID: event.eventID,
            channels: nil,
            payload: body,
            payloadExpiresAt: now.adding(seconds: Int64(MessageRoutes.defaultRetentionDays) * 86_400),
            createdAt: now,
            // Its delivery attempts join this request's trace, as a published message's do.
            traceParent: TraceParent.of(span.context),
            inbound: InboundEnvelope(sourceID: source.id, headers: headers, keeping: source.senderHeaders(of: headers), body: body)
        )
        do {
            try await environment.store.createMessage(message)
        } catch StorageError.duplicate(.messageEventID) {
            // The sender's retry of an event Herald already holds: it is stored, so say so and let the sender stop.
            metrics.countInbound(.duplicate)
            traffic.count(source.id, .duplicate, at: now)
            return JSONResponse.make(bytes: Array(#"{"status":"duplicate"}"#.utf8), status: .ok)
        } catch {
            // Not stored (the database is away, say): the sender's retry will come; the status says to make one.
            metrics.countInbound(.failed)
            refused(InboundMetricOutcome.failed.rawValue, at: now)
            throw error
        }
        metrics.countInbound(.accepted)
        traffic.count(source.id, .accepted, at: now)
        environment.metrics.messagesAccepted.increment()
        return JSONResponse.make(bytes: Array(#"{"status":"accepted"}"#.utf8), status: .ok)
    }

    /// The source of a token: from the last second's lookups, known or unknown, else from the database.
    private func target(of token: String) async throws -> IngestTarget? {
        let now = environment.clock.now()
        let key = Source.tokenHash(token)
        if let cached = environment.sources.lookup(key, now: now) { return cached }
        if unknownTokens.lookup(key, now: now) != nil { return nil }
        let generation = environment.sources.generation
        guard let found = try await environment.store.source(ingestToken: token) else {
            unknownTokens.store(true, as: key, now: now)
            return nil
        }
        let target = IngestTarget(source: found.source, orgID: found.orgID)
        environment.sources.store(target, as: key, now: now, readAt: generation)
        return target
    }
}
