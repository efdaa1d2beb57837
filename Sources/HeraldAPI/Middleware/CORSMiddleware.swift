import Hummingbird

/// CORS as the Svix server does it: any origin and method, requested headers mirrored, preflights cached 600 s.
struct PermissiveCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else {
            return try await next(request, context)
        }
        if request.method == .options, let method = request.headers[.accessControlRequestMethod] {
            var headers: HTTPFields = [
                .accessControlAllowOrigin: origin,
                .accessControlAllowMethods: method,
                .accessControlMaxAge: "600",
                .vary: "Origin",
            ]
            if let requested = request.headers[.accessControlRequestHeaders] {
                headers[.accessControlAllowHeaders] = requested
            }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        // So a browser client can read the id to quote it.
        response.headers[.accessControlExposeHeaders] = "x-request-id"
        return response
    }
}
