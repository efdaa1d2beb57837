import Hummingbird

/// `/openapi.json`: Herald's own OpenAPI document, compiled into the binary.
struct OpenAPIRoutes {
    var routes: [RouteSpec] {
        [RouteSpec(.get, "openapi.json", document)]
    }

    @Sendable func document(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        JSONResponse.make(bytes: OpenAPIDocument.json.utf8, status: .ok)
    }
}
