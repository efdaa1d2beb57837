import HeraldCore
import Hummingbird

/// `/auth`: app-portal tokens.
struct AuthRoutes {
    let environment: APIEnvironment

    var routes: [RouteSpec] {
        [
            RouteSpec(.post, "auth/app-portal-access/:app_id", appPortalAccess),
            // Deprecated alias the Svix server still serves.
            RouteSpec(.post, "auth/dashboard-access/:app_id", appPortalAccess),
            RouteSpec(.post, "auth/logout", logout),
        ]
    }

    struct AppPortalAccessIn: Decodable {
        var featureFlags: [String]?
        var application: ApplicationIn?
    }

    struct AppPortalAccessOut: Encodable {
        var url: String
        var token: String
    }

    @Sendable func appPortalAccess(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let input = try await environment.decode(AppPortalAccessIn.self, from: request)
        let idOrUID = try context.parameters.require("app_id")
        var application = try await environment.store.application(orgID: orgID, idOrUID: idOrUID)
        if application == nil, let applicationIn = input.application {
            try Self.checkEmbeddedApplication(applicationIn, pathValue: idOrUID)
            application = try await ApplicationRoutes.create(applicationIn, orgID: orgID, environment: environment)
        }
        guard let application else { throw HeraldError.notFound() }
        let flags = input.featureFlags ?? []
        let token = try await environment.tokens.appToken(orgID: orgID, appID: application.id, featureFlags: flags)
        let base =
            environment.settings.publicURL.hasSuffix("/")
            ? String(environment.settings.publicURL.dropLast()) : environment.settings.publicURL
        return try JSONResponse.make(AppPortalAccessOut(url: "\(base)/portal#token=\(token)", token: token))
    }

    /// Ends the calling token: every later request with it gets 401, on every instance.
    @Sendable func logout(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        guard let token = context.token else { throw HeraldError.unauthorized() }
        guard let hash = token.revocationHashes.first else { throw HeraldError.unauthorized() }
        // A token without `exp` never expires, so neither may its revocation.
        let until = token.expiresAt ?? Timestamp(milliseconds: .max)
        try await environment.store.revokeToken(hash: hash, expiresAt: until)
        await environment.changed(.tokenRevoked(hash: hash))
        return JSONResponse.noContent()
    }

    /// An `application` embedded in a message or portal request must carry a uid equal to the path value.
    static func checkEmbeddedApplication(_ application: ApplicationIn, pathValue: String) throws {
        guard let uid = application.uid else {
            throw HeraldError.validation(loc: ["body", "application", "uid"], "Application UID not set in body")
        }
        guard uid == pathValue else {
            throw HeraldError.validation(
                loc: ["body", "application", "uid"],
                "Application UID in body does not match the path",
                type: "application_uid_mismatch"
            )
        }
        try application.validate(loc: ["body", "application"])
    }
}
