import HeraldCore
import Hummingbird

/// `/app/{app_id}/endpoint`: where an application's webhooks go.
struct EndpointRoutes {
    let environment: APIEnvironment

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app/:app_id/endpoint", list),
            RouteSpec(.post, "app/:app_id/endpoint", create),
            RouteSpec(.get, "app/:app_id/endpoint/:endpoint_id", get),
            RouteSpec(.put, "app/:app_id/endpoint/:endpoint_id", upsert),
            RouteSpec(.patch, "app/:app_id/endpoint/:endpoint_id", patch),
            RouteSpec(.delete, "app/:app_id/endpoint/:endpoint_id", delete),
        ]
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let page = try QueryParameters(request).page(defaultOrder: .descending)
        let result = try await environment.store.listEndpoints(appID: application.id, page: page)
        return try JSONResponse.make(ListResponse(page: result, key: \.id, transform: EndpointOut.init))
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkEndpointWrite(context, in: application)
        let input = try await environment.decode(EndpointIn.self, from: request)
        let secret = try input.validate(environment.settings(for: application), acceptSecret: true)
        var endpoint = try await makeEndpoint(input, secret: secret, in: application)
        environment.markWriter(of: &endpoint, context)
        try await environment.store.createEndpoint(endpoint)
        await environment.emit(.endpointCreated, endpoint: endpoint, in: application, context: context)
        return try JSONResponse.make(EndpointOut(endpoint), status: .created)
    }

    @Sendable func get(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        return try JSONResponse.make(EndpointOut(try await environment.endpoint(context, in: application)))
    }

    @Sendable func upsert(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkEndpointWrite(context, in: application)
        let input = try await environment.decode(EndpointIn.self, from: request)
        _ = try input.validate(environment.settings(for: application), acceptSecret: false)
        let idOrUID = try context.parameters.require("endpoint_id")
        guard var endpoint = try await environment.store.endpoint(appID: application.id, idOrUID: idOrUID) else {
            var created = try await makeEndpoint(input, secret: nil, in: application)
            environment.markWriter(of: &created, context)
            try await environment.store.createEndpoint(created)
            await environment.emit(.endpointCreated, endpoint: created, in: application, context: context)
            return try JSONResponse.make(EndpointOut(created), status: .created)
        }
        try await checkEventTypesExist(input.eventTypes, orgID: application.orgID)
        endpoint.url = input.url
        endpoint.description = input.description ?? ""
        endpoint.uid = input.uid
        endpoint.disabled = input.disabled ?? false
        endpoint.eventTypes = input.eventTypes
        endpoint.channels = input.channels
        endpoint.throttleRate = input.throttleRate
        endpoint.metadata = input.metadata ?? [:]
        if let headers = input.headers { endpoint.headers = headers }
        endpoint.updatedAt = environment.clock.now()
        environment.markWriter(of: &endpoint, context)
        try await environment.store.updateEndpoint(endpoint)
        await environment.emit(.endpointUpdated, endpoint: endpoint, in: application, context: context)
        return try JSONResponse.make(EndpointOut(endpoint))
    }

    @Sendable func patch(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkEndpointWrite(context, in: application)
        var endpoint = try await environment.endpoint(context, in: application)
        let input = try await environment.decode(EndpointPatch.self, from: request)
        try input.apply(to: &endpoint, settings: environment.settings(for: application))
        try await checkEventTypesExist(input.eventTypes.value, orgID: application.orgID)
        endpoint.updatedAt = environment.clock.now()
        environment.markWriter(of: &endpoint, context)
        try await environment.store.updateEndpoint(endpoint)
        await environment.emit(.endpointUpdated, endpoint: endpoint, in: application, context: context)
        return try JSONResponse.make(EndpointOut(endpoint))
    }

    @Sendable func delete(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkEndpointWrite(context, in: application)
        let endpoint = try await environment.endpoint(context, in: application)
        try await environment.store.deleteEndpoint(appID: application.id, id: endpoint.id)
        await environment.emit(.endpointDeleted, endpoint: endpoint, in: application, context: context)
        return JSONResponse.noContent()
    }

    private func makeEndpoint(_ input: EndpointIn, secret: EndpointSecret?, in application: Application) async throws -> Endpoint {
        try await checkEventTypesExist(input.eventTypes, orgID: application.orgID)
        let cap = environment.settings.limits.maxEndpointsPerApplication
        // Checked, not locked: endpoints created at the same moment can pass it together, by as many as there are.
        guard try await environment.store.countEndpoints(appID: application.id) < cap else {
            throw HeraldError.conflict("This application already has \(cap) endpoints, the most one may have", code: "too_many_endpoints")
        }
        let now = environment.clock.now()
        return Endpoint(
            id: IDPrefix.endpoint.makeID(timestampMs: now.milliseconds),
            appID: application.id,
            uid: input.uid,
            url: input.url,
            description: input.description ?? "",
            disabled: input.disabled ?? false,
            eventTypes: input.eventTypes,
            channels: input.channels,
            throttleRate: input.throttleRate,
            metadata: input.metadata ?? [:],
            headers: input.headers ?? [:],
            secret: secret ?? EndpointSecret.generate(environment.settings.defaultSecretKind),
            previousSecrets: [],
            createdAt: now,
            updatedAt: now
        )
    }

    /// An endpoint may only filter on event types that exist in the org.
    private func checkEventTypesExist(_ names: [String]?, orgID: String) async throws {
        guard let names, !names.isEmpty else { return }
        let existing = try await environment.store.existingEventTypeNames(orgID: orgID, among: names)
        let missing = names.enumerated().filter { !existing.contains($0.element) }
        guard missing.isEmpty else {
            throw HeraldError.validation(
                missing.map {
                    ValidationIssue(loc: ["body", "eventTypes", String($0.offset)], msg: "event type '\($0.element)' does not exist")
                }
            )
        }
    }
}
