import HeraldCore
import Hummingbird

/// Counts and times every request by its route template (`/api/v1/app/{app_id}/msg`, never the path itself, so ids
/// do not become labels) and status class. Sits outside the error middleware, so errors are counted with the status
/// they were answered with.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HeraldMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.recordRequest(route: Self.route(context), status: Int(response.status.code), duration: ContinuousClock.now - started)
            return response
        } catch {
            // Only what the error middleware lets through (nothing Herald throws): Hummingbird answers it itself.
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(route: Self.route(context), status: Int(status), duration: ContinuousClock.now - started)
            throw error
        }
    }

    /// The matched route's template; requests no route matched share Hummingbird's `NotFound`.
    static func route(_ context: Context) -> String {
        context.endpointPath ?? "NotFound"
    }
}
