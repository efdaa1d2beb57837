import Foundation
import HeraldCore
import Hummingbird

/// Per-endpoint delivery actions: stats, recover, send an example.
struct EndpointDeliveryRoutes {
    let environment: APIEnvironment

    static let statsWindowSeconds: Int64 = 28 * 86_400
    static let recoverWindowSeconds: Int64 = 14 * 86_400

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app/:app_id/endpoint/:endpoint_id/stats", stats),
            RouteSpec(.post, "app/:app_id/endpoint/:endpoint_id/recover", recover),
            RouteSpec(.post, "app/:app_id/endpoint/:endpoint_id/send-example", sendExample),
        ]
    }

    /// Counts of the endpoint's deliveries by state, for messages in `[since, until)` (default and longest: 28 days).
    @Sendable func stats(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let endpoint = try await environment.endpoint(context, in: application)
        let query = QueryParameters(request)
        let now = environment.clock.now()
        let until = try query.timestamp("until") ?? now
        guard until <= now else { throw HeraldError.badRequest("'until' cannot be in the future") }
        let since = try query.timestamp("since") ?? until.adding(seconds: -Self.statsWindowSeconds)
        guard since <= until, until.milliseconds - since.milliseconds <= Self.statsWindowSeconds * 1000 else {
            throw HeraldError.validation(loc: ["query", "since"], "the window must be at most 28 days and end after it starts")
        }
        let stats = try await environment.store.endpointStats(endpointID: endpoint.id, since: since, until: until.adding(milliseconds: 1))
        return try JSONResponse.make(EndpointStatsOut(stats))
    }

    /// Re-queues the endpoint's failed deliveries of messages created in `[since, until)` (at most 14 days).
    @Sendable func recover(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkRoom(environment.resendRate, for: application, cost: TenantLimits.recoverCost, what: "resends and recovers")
        let endpoint = try await environment.endpoint(context, in: application)
        let input = try await environment.decode(RecoverIn.self, from: request)
        let now = environment.clock.now()
        let until = input.until ?? now
        guard input.since < until, until.milliseconds(since: input.since) <= Self.recoverWindowSeconds * 1000 else {
            throw HeraldError.validation(loc: ["body", "since"], "the window must be at most 14 days and end after it starts")
        }
        try environment.take(environment.resendRate, for: application, cost: TenantLimits.recoverCost, what: "resends and recovers")
        let count = try await environment.store.recoverFailedDeliveries(endpointID: endpoint.id, since: input.since, until: until, now: now)
        context.logger.info("recovered deliveries", metadata: ["herald.endpoint.id": "\(endpoint.id)", "herald.count": "\(count)"])
        let out = RecoverOut(
            id: IDPrefix.task.makeID(timestampMs: now.milliseconds),
            status: "finished",
            task: "endpoint.recover",
            updatedAt: now
        )
        return try JSONResponse.make(out, status: .accepted)
    }

    /// Sends the event type's first schema example (or a ping for `svix.ping`) to this endpoint only.
    @Sendable func sendExample(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let application = try await environment.application(context)
        let endpoint = try await environment.endpoint(context, in: application)
        let input = try await environment.decode(EventExampleIn.self, from: request)
        let payload = try await examplePayload(for: input.eventType, orgID: orgID)
        try environment.take(environment.resendRate, for: application, what: "examples and resends")
        let now = environment.clock.now()
        let message = Message(
            id: IDPrefix.message.makeID(timestampMs: now.milliseconds),
            appID: application.id,
            eventType: input.eventType,
            eventID: nil,
            channels: nil,
            payload: Array(try payload.encodedJSON()),
            payloadExpiresAt: now.adding(seconds: Int64(MessageRoutes.defaultRetentionDays) * 86_400),
            createdAt: now
        )
        // Kept with the message, as the message route does (`MessageRoutes.create`).
        let answerBody = JSONResponse.bytes(MessageOut(message, withContent: true, now: now))
        let (response, answer) = context.createdResponse(body: answerBody, status: .accepted, now: now)
        var answered = message
        answered.idempotentAnswer = answer
        try await environment.store.createMessage(answered, onlyTo: endpoint.id)
        context.createdResource?.record(message.id, answerKept: answer != nil)
        return response
    }

    private func examplePayload(for eventType: String, orgID: String) async throws -> JSONValue {
        if eventType == "svix.ping" || eventType == "herald.ping" {
            return .object(["success": .bool(true)])
        }
        guard let type = try await environment.store.eventType(orgID: orgID, name: eventType), !type.archived else {
            throw HeraldError.validation(loc: ["body", "eventType"], "event type '\(eventType)' does not exist")
        }
        let schemas = EventTypeSchemas.decode(type.schemas) ?? [:]
        for version in schemas.keys.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            if let example = schemas[version]?["examples"]?.arrayValue?.first, example.objectValue != nil {
                return example
            }
        }
        throw HeraldError.validation(loc: ["body", "eventType"], "event type '\(eventType)' has no example in its schemas")
    }
}

extension JSONValue {
    fileprivate subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}
