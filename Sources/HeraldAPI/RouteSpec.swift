import Hummingbird

/// One route: method, path under `/api/v1` (`:name` for parameters) and handler. Route collections list theirs, so
/// the router can answer 405 for a known path with another method and the OpenAPI test can check every route.
public struct RouteSpec: Sendable {
    public let method: HTTPRequest.Method
    public let path: String
    let handler: @Sendable (Request, HeraldRequestContext) async throws -> Response

    init(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping @Sendable (Request, HeraldRequestContext) async throws -> Response) {
        self.method = method
        self.path = path
        self.handler = handler
    }
}
