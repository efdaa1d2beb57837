import HeraldCore
import Hummingbird

/// `/event-type`: the organisation's catalogue of event types.
struct EventTypeRoutes {
    let environment: APIEnvironment

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "event-type", list),
            RouteSpec(.post, "event-type", create),
            RouteSpec(.get, "event-type/:event_type_name", get),
            RouteSpec(.put, "event-type/:event_type_name", upsert),
            RouteSpec(.patch, "event-type/:event_type_name", patch),
            RouteSpec(.delete, "event-type/:event_type_name", delete),
        ]
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = QueryParameters(request)
        let page = try query.page(defaultOrder: .ascending, orderable: false)
        let includeArchived = try query.bool("include_archived", default: false)
        let withContent = try query.bool("with_content", default: false)
        var result = try await environment.store.listEventTypes(orgID: principal.orgID, includeArchived: includeArchived, page: page)
        result.items = result.items.filter { principal.canSee(featureFlag: $0.featureFlag) }
        return try JSONResponse.make(ListResponse(page: result, key: \.name) { EventTypeOut($0, withSchemas: withContent) })
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let input = try await environment.decode(EventTypeIn.self, from: request)
        guard let name = input.name else {
            throw HeraldError.validation(loc: ["body", "name"], "field required", type: "value_error.missing")
        }
        try input.validate(name: name)
        let eventType = makeEventType(input, name: name, orgID: orgID)
        try await environment.store.createEventType(eventType)
        return try JSONResponse.make(EventTypeOut(eventType), status: .created)
    }

    @Sendable func get(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let eventType = try await find(context, orgID: principal.orgID)
        guard principal.canSee(featureFlag: eventType.featureFlag) else { throw HeraldError.notFound() }
        return try JSONResponse.make(EventTypeOut(eventType))
    }

    @Sendable func upsert(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let name = try context.parameters.require("event_type_name")
        let input = try await environment.decode(EventTypeIn.self, from: request)
        try input.validate(name: name)
        guard var eventType = try await environment.store.eventType(orgID: orgID, name: name) else {
            let created = makeEventType(input, name: name, orgID: orgID)
            try await environment.store.createEventType(created)
            return try JSONResponse.make(EventTypeOut(created), status: .created)
        }
        eventType.description = input.description
        eventType.archived = input.archived ?? false
        eventType.deprecated = input.deprecated ?? false
        eventType.featureFlag = input.featureFlag
        eventType.schemas = EventTypeSchemas.encode(input.schemas)
        eventType.updatedAt = environment.clock.now()
        try await environment.store.updateEventType(eventType)
        return try JSONResponse.make(EventTypeOut(eventType))
    }

    @Sendable func patch(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        var eventType = try await find(context, orgID: orgID)
        let input = try await environment.decode(EventTypePatch.self, from: request)
        try input.apply(to: &eventType)
        eventType.updatedAt = environment.clock.now()
        try await environment.store.updateEventType(eventType)
        return try JSONResponse.make(EventTypeOut(eventType))
    }

    /// Archives the type; `?expunge=true` deletes it for good.
    @Sendable func delete(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        var eventType = try await find(context, orgID: orgID)
        if try QueryParameters(request).bool("expunge", default: false) {
            try await environment.store.deleteEventType(orgID: orgID, name: eventType.name)
        } else {
            eventType.archived = true
            eventType.updatedAt = environment.clock.now()
            try await environment.store.updateEventType(eventType)
        }
        return JSONResponse.noContent()
    }

    private func find(_ context: HeraldRequestContext, orgID: String) async throws -> EventType {
        let name = try context.parameters.require("event_type_name")
        guard let eventType = try await environment.store.eventType(orgID: orgID, name: name) else {
            throw HeraldError.notFound()
        }
        return eventType
    }

    private func makeEventType(_ input: EventTypeIn, name: String, orgID: String) -> EventType {
        let now = environment.clock.now()
        return EventType(
            orgID: orgID,
            name: name,
            description: input.description,
            archived: input.archived ?? false,
            deprecated: input.deprecated ?? false,
            featureFlag: input.featureFlag,
            schemas: EventTypeSchemas.encode(input.schemas),
            createdAt: now,
            updatedAt: now
        )
    }
}
