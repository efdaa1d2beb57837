import HeraldCore
import Hummingbird

/// Builds Herald's router: the Svix-compatible API under `/api/v1`, every error as JSON.
public enum HeraldRouter {
    /// Mount point of the API.
    public static let apiPrefix = "/api/v1"

    public static func build(environment: APIEnvironment) -> Router<HeraldRequestContext> {
        let router = Router(context: HeraldRequestContext.self, options: [.autoGenerateHeadEndpoints])
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: MetricsMiddleware(metrics: environment.metrics))
        // A server span per request, joined to the caller's trace when it sends `traceparent` — when the process
        // bootstrapped a tracer (`herald serve` does with HERALD_OTEL_ENDPOINT); otherwise nothing (`TraceRecording`).
        router.add(middleware: IngestAwareTracingMiddleware())
        router.add(middleware: PermissiveCORSMiddleware())
        router.add(middleware: ErrorMiddleware())

        let api = router.group(RouterPath(apiPrefix))
        let open = publicRoutes(environment: environment)
        let auth = AuthMiddleware(
            tokens: environment.tokens,
            revocations: environment.store,
            revocationReadEachTime: environment.sharedValuesReadEachTime,
            cache: environment.verifiedTokens
        )
        let authenticated = api.group()
            .add(middleware: auth)
            .add(
                middleware: IdempotencyMiddleware(
                    store: environment.store,
                    clock: environment.clock,
                    windowSeconds: environment.settings.idempotencyWindowSeconds
                )
            )
        let protected = protectedRoutes(environment: environment)
        for route in open { api.on(RouterPath(route.path), method: route.method, use: route.handler) }
        for route in protected { authenticated.on(RouterPath(route.path), method: route.method, use: route.handler) }
        addMethodNotAllowed(for: open + protected, on: api)
        // Sources' public URLs: outside the API and its authentication, each request verified by its source's scheme.
        let ingest = IngestRoute(environment: environment)
        router.post(RouterPath(IngestRoute.path), use: ingest.ingest)
        WebRoutes.add(to: router)
        if let exposition = environment.metricsExposition {
            MetricsRoutes.add(to: router, exposition: exposition.exposition, operatorOrgID: exposition.operatorOrgID, auth: auth)
        }
        return router
    }

    /// Every route the API serves, as `(method, path)` with paths under `/api/v1`.
    public static func routeTable(environment: APIEnvironment) -> [(method: HTTPRequest.Method, path: String)] {
        (publicRoutes(environment: environment) + protectedRoutes(environment: environment)).map { ($0.method, $0.path) }
    }

    static func publicRoutes(environment: APIEnvironment) -> [RouteSpec] {
        HealthRoutes(environment: environment).routes + OpenAPIRoutes().routes
    }

    static func protectedRoutes(environment: APIEnvironment) -> [RouteSpec] {
        ApplicationRoutes(environment: environment).routes
            + EndpointRoutes(environment: environment).routes
            + EndpointSecretRoutes(environment: environment).routes
            + EndpointPolicyRoutes(environment: environment).routes
            + EventTypeRoutes(environment: environment).routes
            + MessageRoutes(environment: environment).routes
            + AttemptRoutes(environment: environment).routes
            + EndpointDeliveryRoutes(environment: environment).routes
            + PollerRoutes(environment: environment).routes
            + LiveRoutes(environment: environment).routes
            + SourceRoutes(environment: environment).routes
            + ApplicationSubnetRoutes(environment: environment).routes
            // Last: the isolation table walks routes in this order, and logout ends the token it is called with.
            + AuthRoutes(environment: environment).routes
    }

    /// A known path asked with another method gets 405 and an `Allow` header, not a misleading 404.
    private static func addMethodNotAllowed(for routes: [RouteSpec], on group: RouterGroup<HeraldRequestContext>) {
        let methodsByPath = Dictionary(grouping: routes, by: \.path).mapValues { Set($0.map(\.method)) }
        let candidates: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
        for (path, methods) in methodsByPath {
            var allowed = methods
            if allowed.contains(.get) { allowed.insert(.head) }
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            for method in candidates where !allowed.contains(method) {
                group.on(RouterPath(path), method: method) { _, _ -> Response in
                    var response = ErrorResponses.response(
                        for: HeraldError(kind: .methodNotAllowed, code: "method_not_allowed", detail: "Method not allowed")
                    )
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }
}
