import HeraldCore
import Hummingbird
import Tracing

/// `/app/{app_id}/msg`: the events an application is sent.
struct MessageRoutes {
    let environment: APIEnvironment

    /// Default payload retention, in days.
    static let defaultRetentionDays = 90

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app/:app_id/msg", list),
            RouteSpec(.post, "app/:app_id/msg", create),
            RouteSpec(.get, "app/:app_id/msg/:msg_id", get),
            RouteSpec(.delete, "app/:app_id/msg/:msg_id/content", expungeContent),
        ]
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let query = QueryParameters(request)
        let now = environment.clock.now()
        let messageQuery = try query.messageQuery(now: now)
        let result = try await environment.store.listMessages(appID: application.id, query: messageQuery)
        let withContent = try query.bool("with_content", default: true)
        return JSONResponse.make(ListResponse(page: result, key: \.id) { MessageOut($0, withContent: withContent, now: now) })
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let withContent = try QueryParameters(request).bool("with_content", default: true)
        let body = try await RequestDecoding.body(of: request, limit: environment.settings.maxBodyBytes)
        let bodyBytes = Array(body.readableBytesView)
        let input = try MessageIn.decode(body, bytes: bodyBytes)
        try input.validate()
        guard let payload = input.rawPayload(in: bodyBytes) else {
            throw HeraldError.validation(loc: ["body", "payload"], "field required", type: "value_error.missing")
        }
        let application = try await applicationForMessage(input, orgID: orgID, context: context)
        try environment.take(environment.messageRate, for: application, what: "messages")
        let now = environment.clock.now()
        let retentionDays = input.payloadRetentionPeriod ?? Self.defaultRetentionDays
        let message = Message(
            id: IDPrefix.message.makeID(timestampMs: now.milliseconds),
            appID: application.id,
            eventType: input.eventType,
            eventID: input.eventId,
            channels: input.channels,
            payload: payload,
            payloadExpiresAt: now.adding(seconds: Int64(retentionDays) * 86_400),
            createdAt: now
        )
        // The answer is known before the commit, so an idempotent request's is stored with the message (a crash
        // between two commits would let a retry under the same key store the message twice).
        let answerBody = JSONResponse.bytes(MessageOut(message, withContent: withContent, now: now))
        let (response, answer) = context.createdResponse(body: answerBody, status: .accepted, now: now)
        let store = environment.store
        var stored = message
        stored.idempotentAnswer = answer
        if TraceRecording.isOn {
            // The commit and fan-out as a span of the request's trace; the message keeps it, so that its attempts, made
            // later, join the same trace.
            try await withSpan("herald.fan_out") { span in
                span.attributes["herald.msg.id"] = message.id
                span.attributes["herald.app.id"] = application.id
                stored.traceParent = TraceParent.of(span.context)
                try await store.createMessage(stored)
            }
        } else {
            try await store.createMessage(stored)
        }
        environment.metrics.messagesAccepted.increment()
        context.createdResource?.record(message.id, answerKept: answer != nil)
        return response
    }

    @Sendable func get(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let message = try await environment.message(context, in: application)
        let withContent = try QueryParameters(request).bool("with_content", default: true)
        return JSONResponse.make(MessageOut(message, withContent: withContent, now: environment.clock.now()))
    }

    @Sendable func expungeContent(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        _ = try context.requireOrgToken()
        let application = try await environment.application(context)
        let message = try await environment.message(context, in: application)
        try await environment.store.expungeMessagePayload(appID: application.id, messageID: message.id)
        return JSONResponse.noContent()
    }

    /// The path's application, or — when it does not exist and the body brings an `application` whose uid is the
    /// path value — a new one made from it.
    private func applicationForMessage(_ input: MessageIn, orgID: String, context: HeraldRequestContext) async throws -> Application {
        let idOrUID = try context.parameters.require("app_id")
        if let existing = try await environment.lookUpApplication(orgID: orgID, idOrUID: idOrUID) {
            return existing
        }
        guard let applicationIn = input.application else { throw HeraldError.notFound() }
        try AuthRoutes.checkEmbeddedApplication(applicationIn, pathValue: idOrUID)
        do {
            return try await ApplicationRoutes.create(applicationIn, orgID: orgID, environment: environment)
        } catch let error as StorageError where error == .duplicate(.applicationUID) {
            // Another request created it first.
            guard let existing = try await environment.store.application(orgID: orgID, idOrUID: idOrUID) else { throw error }
            return existing
        }
    }
}
