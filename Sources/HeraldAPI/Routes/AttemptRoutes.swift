import HeraldCore
import Hummingbird

/// The attempt log and what can be done from it: list, inspect, expunge, resend.
struct AttemptRoutes {
    let environment: APIEnvironment

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app/:app_id/attempt/endpoint/:endpoint_id", listByEndpoint),
            RouteSpec(.get, "app/:app_id/attempt/msg/:msg_id", listByMessage),
            // Deprecated forms the Svix server still serves.
            RouteSpec(.get, "app/:app_id/msg/:msg_id/attempt", listByMessage),
            RouteSpec(.get, "app/:app_id/msg/:msg_id/endpoint/:endpoint_id/attempt", listByMessage),
            RouteSpec(.get, "app/:app_id/endpoint/:endpoint_id/msg", listAttemptedMessages),
            RouteSpec(.get, "app/:app_id/msg/:msg_id/endpoint", listAttemptedDestinations),
            RouteSpec(.get, "app/:app_id/msg/:msg_id/attempt/:attempt_id", get),
            RouteSpec(.delete, "app/:app_id/msg/:msg_id/attempt/:attempt_id/content", expungeContent),
            RouteSpec(.post, "app/:app_id/msg/:msg_id/endpoint/:endpoint_id/resend", resend),
        ]
    }

    @Sendable func listByEndpoint(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let endpoint = try await environment.endpoint(context, in: application)
        return try await list(request, appID: application.id) { $0.endpointID = endpoint.id }
    }

    @Sendable func listByMessage(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let message = try await environment.message(context, in: application)
        let query = QueryParameters(request)
        var endpointID: String?
        if let idOrUID = context.parameters.get("endpoint_id") ?? query.string("endpoint_id") {
            guard let endpoint = try await environment.store.endpoint(appID: application.id, idOrUID: idOrUID) else {
                throw HeraldError.notFound()
            }
            endpointID = endpoint.id
        }
        return try await list(request, appID: application.id) {
            $0.messageID = message.id
            $0.endpointID = endpointID
        }
    }

    private func list(_ request: Request, appID: String, narrow: (inout AttemptQuery) -> Void) async throws -> Response {
        let query = QueryParameters(request)
        let page = try query.page(defaultOrder: .descending, orderable: false)
        let now = environment.clock.now()
        let range = ListWindow.idRange(
            prefix: .attempt,
            before: try query.timestamp("before"),
            after: try query.timestamp("after"),
            page: page,
            now: now
        )
        var attemptQuery = AttemptQuery(
            page: page,
            idRange: range,
            status: try query.status(),
            statusCodeClass: try query.statusCodeClass(),
            eventTypes: query.list("event_types"),
            channel: query.string("channel")
        )
        narrow(&attemptQuery)
        let result = try await environment.store.listAttempts(appID: appID, query: attemptQuery)
        let withContent = try query.bool("with_content", default: true)
        return try JSONResponse.make(ListResponse(page: result, key: \.id) { MessageAttemptOut($0, withContent: withContent) })
    }

    @Sendable func listAttemptedMessages(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let endpoint = try await environment.endpoint(context, in: application)
        let query = QueryParameters(request)
        let now = environment.clock.now()
        let messageQuery = try query.messageQuery(now: now)
        let result = try await environment.store.listAttemptedMessages(
            appID: application.id,
            endpointID: endpoint.id,
            query: messageQuery,
            status: try query.status()
        )
        let withContent = try query.bool("with_content", default: true)
        return try JSONResponse.make(
            ListResponse(page: result, key: \.0.id) { EndpointMessageOut($0.0, state: $0.1, withContent: withContent, now: now) }
        )
    }

    @Sendable func listAttemptedDestinations(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let message = try await environment.message(context, in: application)
        let page = try QueryParameters(request).page(defaultOrder: .ascending, orderable: false)
        let result = try await environment.store.listAttemptedDestinations(appID: application.id, messageID: message.id, page: page)
        return try JSONResponse.make(ListResponse(page: result, key: \.0.id) { MessageEndpointOut($0.0, state: $0.1) })
    }

    @Sendable func get(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let message = try await environment.message(context, in: application)
        let attemptID = try context.parameters.require("attempt_id")
        guard let attempt = try await environment.store.attempt(appID: application.id, messageID: message.id, attemptID: attemptID) else {
            throw HeraldError.notFound()
        }
        return try JSONResponse.make(MessageAttemptOut(attempt, withContent: true))
    }

    @Sendable func expungeContent(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        _ = try context.requireOrgToken()
        let application = try await environment.application(context)
        let message = try await environment.message(context, in: application)
        let attemptID = try context.parameters.require("attempt_id")
        guard try await environment.store.attempt(appID: application.id, messageID: message.id, attemptID: attemptID) != nil else {
            throw HeraldError.notFound()
        }
        try await environment.store.expungeAttemptResponse(appID: application.id, attemptID: attemptID)
        return JSONResponse.noContent()
    }

    /// One manual attempt, now, never retried; it bypasses the endpoint's filters.
    @Sendable func resend(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkRoom(environment.resendRate, for: application, what: "resends")
        let message = try await environment.message(context, in: application)
        let endpoint = try await environment.endpoint(context, in: application)
        guard !endpoint.isPoller else {
            throw HeraldError.badRequest(
                "Polling endpoints are not sent to; read the message again from the poller routes with an earlier iterator",
                code: "polling_endpoint"
            )
        }
        // Charged once the request is known to be good, so junk requests cannot spend the application's resends.
        try environment.take(environment.resendRate, for: application, what: "resends")
        // Retention may have deleted the message since it was read.
        guard
            try await environment.store.enqueueManualAttempt(
                appID: application.id,
                messageID: message.id,
                endpointID: endpoint.id,
                now: environment.clock.now()
            )
        else { throw HeraldError.notFound() }
        return try JSONResponse.make(EmptyResponse(), status: .accepted)
    }
}

extension QueryParameters {
    /// `status`: 0 success, 1 pending, 2 fail, 3 sending.
    func status() throws -> MessageStatus? {
        guard let value = try int("status") else { return nil }
        guard let status = MessageStatus(rawValue: value) else {
            throw HeraldError.validation(loc: ["query", "status"], "status must be 0, 1, 2 or 3")
        }
        return status
    }

    /// `status_code_class`: 0 (no response), 100, 200, 300, 400 or 500.
    func statusCodeClass() throws -> Int? {
        guard let value = try int("status_code_class") else { return nil }
        guard [0, 100, 200, 300, 400, 500].contains(value) else {
            throw HeraldError.validation(loc: ["query", "status_code_class"], "status_code_class must be 0, 100, 200, 300, 400 or 500")
        }
        return value
    }
}
