import HeraldCore
import Hummingbird

/// Outermost middleware: whatever a route or another middleware throws (unknown routes included) leaves as JSON.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return ErrorResponses.response(for: ErrorResponses.heraldError(from: error, logger: context.logger))
        }
    }
}
