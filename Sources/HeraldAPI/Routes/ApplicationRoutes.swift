import HeraldCore
import Hummingbird

/// `/app`: applications, one per customer.
struct ApplicationRoutes {
    let environment: APIEnvironment

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app", list),
            RouteSpec(.post, "app", create),
            RouteSpec(.get, "app/:app_id", get),
            RouteSpec(.put, "app/:app_id", upsert),
            RouteSpec(.patch, "app/:app_id", patch),
            RouteSpec(.delete, "app/:app_id", delete),
        ]
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let page = try QueryParameters(request).page(defaultOrder: .ascending)
        let result = try await environment.store.listApplications(orgID: orgID, page: page)
        return try JSONResponse.make(ListResponse(page: result, key: \.id, transform: ApplicationOut.init))
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let getIfExists = try QueryParameters(request).bool("get_if_exists", default: false)
        let input = try await environment.decode(ApplicationIn.self, from: request)
        try input.validate()
        if getIfExists, let uid = input.uid, let existing = try await environment.store.application(orgID: orgID, idOrUID: uid) {
            return try JSONResponse.make(ApplicationOut(existing))
        }
        let application = try await Self.create(input, orgID: orgID, environment: environment)
        return try JSONResponse.make(ApplicationOut(application), status: .created)
    }

    /// Creates an application from an `ApplicationIn` (also used where a message or portal request brings one).
    static func create(_ input: ApplicationIn, orgID: String, environment: APIEnvironment) async throws -> Application {
        let now = environment.clock.now()
        let application = Application(
            id: IDPrefix.application.makeID(timestampMs: now.milliseconds),
            orgID: orgID,
            uid: input.uid,
            name: input.name,
            throttleRate: input.throttleRate,
            metadata: input.metadata ?? [:],
            createdAt: now,
            updatedAt: now
        )
        try await environment.store.createApplication(application)
        return application
    }

    @Sendable func get(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        try JSONResponse.make(ApplicationOut(try await environment.application(context)))
    }

    @Sendable func upsert(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let input = try await environment.decode(ApplicationIn.self, from: request)
        try input.validate()
        let idOrUID = try context.parameters.require("app_id")
        guard var application = try await environment.store.application(orgID: orgID, idOrUID: idOrUID) else {
            let created = try await Self.create(input, orgID: orgID, environment: environment)
            return try JSONResponse.make(ApplicationOut(created), status: .created)
        }
        application.name = input.name
        application.uid = input.uid
        application.throttleRate = input.throttleRate
        application.metadata = input.metadata ?? [:]
        application.updatedAt = environment.clock.now()
        try await environment.store.updateApplication(application)
        await environment.changed(.applications)
        return try JSONResponse.make(ApplicationOut(application))
    }

    @Sendable func patch(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        _ = try context.requireOrgToken()
        var application = try await environment.application(context, fresh: true)
        let input = try await environment.decode(ApplicationPatch.self, from: request)
        try input.apply(to: &application)
        application.updatedAt = environment.clock.now()
        try await environment.store.updateApplication(application)
        await environment.changed(.applications)
        return try JSONResponse.make(ApplicationOut(application))
    }

    @Sendable func delete(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let application = try await environment.application(context)
        try await environment.store.deleteApplication(orgID: orgID, id: application.id)
        await environment.changed(.applications)
        return JSONResponse.noContent()
    }
}
