import HeraldCore
import Hummingbird

/// `/health`: unauthenticated liveness and readiness.
struct HealthRoutes {
    let environment: APIEnvironment

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "health", health),
            RouteSpec(.get, "health/ping", ping),
        ]
    }

    struct ComponentStatus: Encodable {
        var status: String
    }

    struct HealthOut: Encodable {
        var database: ComponentStatus
    }

    /// 200 when the database answers; 503 with the failing part named when it does not.
    @Sendable func health(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        do {
            try await environment.store.checkHealth()
            return try JSONResponse.make(HealthOut(database: .init(status: "ok")))
        } catch {
            context.logger.warning("health check failed", metadata: ["herald.error": "\(String(reflecting: error))"])
            return try JSONResponse.make(HealthOut(database: .init(status: "error")), status: .serviceUnavailable)
        }
    }

    @Sendable func ping(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        JSONResponse.noContent()
    }
}
