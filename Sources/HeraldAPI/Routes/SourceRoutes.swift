import HeraldCore
import Hummingbird

/// `/app/{app_id}/source`: where an application receives webhooks from other senders (a Herald extension). Org tokens
/// only: a source holds the sender's secret and opens a public URL into the application.
struct SourceRoutes {
    let environment: APIEnvironment

    /// Sources one application may have.
    static let maxSourcesPerApplication = 50

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app/:app_id/source", list),
            RouteSpec(.post, "app/:app_id/source", create),
            RouteSpec(.get, "app/:app_id/source/:source_id", get),
            RouteSpec(.patch, "app/:app_id/source/:source_id", patch),
            RouteSpec(.delete, "app/:app_id/source/:source_id", delete),
            RouteSpec(.post, "app/:app_id/source/:source_id/rotate-token", rotateToken),
        ]
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await orgApplication(context)
        let page = try QueryParameters(request).page(defaultOrder: .descending)
        let result = try await environment.store.listSources(appID: application.id, page: page)
        let publicURL = environment.settings.publicURL
        return try JSONResponse.make(ListResponse(page: result, key: \.id) { SourceOut($0, publicURL: publicURL) })
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await orgApplication(context)
        let input = try SourceFields(try await environment.decode(JSONValue.self, from: request))
        guard let name = input.name else { throw HeraldError.validation(loc: ["body", "name"], "field required", type: "value_error.missing") }
        guard let verification = input.verification else {
            throw HeraldError.validation(loc: ["body", "verification"], "field required", type: "value_error.missing")
        }
        // Checked, not locked: sources created at the same moment can pass it together, by as many as there are.
        guard try await environment.store.countSources(appID: application.id) < Self.maxSourcesPerApplication else {
            throw HeraldError.conflict(
                "This application already has \(Self.maxSourcesPerApplication) sources, the most one may have",
                code: "too_many_sources"
            )
        }
        let now = environment.clock.now()
        var source = Source(
            id: IDPrefix.source.makeID(timestampMs: now.milliseconds),
            appID: application.id,
            uid: nil,
            name: name,
            verification: verification,
            token: Source.makeToken(),
            createdAt: now,
            updatedAt: now
        )
        input.apply(to: &source)
        // Kept with the source, as a message's answer is (`MessageRoutes.create`).
        let answerBody = Array(try JSONResponse.encoded(SourceOut(source, publicURL: environment.settings.publicURL)))
        let (response, answer) = context.createdResponse(body: answerBody, status: .created, now: now)
        try await environment.store.createSource(source, answer: answer)
        await environment.changed(.sources)
        context.createdResource?.record(source.id, answerKept: answer != nil)
        return response
    }

    @Sendable func get(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let source = try await pathSource(context)
        return try JSONResponse.make(SourceOut(source, publicURL: environment.settings.publicURL))
    }

    @Sendable func patch(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        var source = try await pathSource(context)
        let input = try SourceFields(try await environment.decode(JSONValue.self, from: request))
        input.apply(to: &source)
        source.updatedAt = environment.clock.now()
        try await environment.store.updateSource(source)
        await environment.changed(.sources)
        return try JSONResponse.make(SourceOut(source, publicURL: environment.settings.publicURL))
    }

    @Sendable func delete(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let source = try await pathSource(context)
        try await environment.store.deleteSource(appID: source.appID, id: source.id)
        await environment.changed(.sources)
        return JSONResponse.noContent()
    }

    /// A new ingest URL; the old one stops answering at once (give the sender the new one first where it allows two).
    @Sendable func rotateToken(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        var source = try await pathSource(context)
        source.token = Source.makeToken()
        source.updatedAt = environment.clock.now()
        try await environment.store.rotateSourceToken(appID: source.appID, id: source.id, token: source.token, at: source.updatedAt)
        await environment.changed(.sources)
        return try JSONResponse.make(SourceOut(source, publicURL: environment.settings.publicURL))
    }

    private func orgApplication(_ context: HeraldRequestContext) async throws -> Application {
        _ = try context.requireOrgToken()
        return try await environment.application(context)
    }

    private func pathSource(_ context: HeraldRequestContext) async throws -> Source {
        let application = try await orgApplication(context)
        let idOrUID = try context.parameters.require("source_id")
        guard let source = try await environment.store.source(appID: application.id, idOrUID: idOrUID) else {
            throw HeraldError.notFound()
        }
        return source
    }
}
