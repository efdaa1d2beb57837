import HeraldCore
import Hummingbird
import Tracing

/// Hummingbird's tracing (a server span per request, joined to the caller's trace), except for sources' ingest URLs:
/// their path holds the token — a credential — and a span records `url.path` for the trace collector to keep. Those
/// requests get a span of their own, named without the path (`IngestRoute`).
///
/// With no instrument bootstrapped (`TraceRecording`), there is no trace to join and nothing to record: the request goes
/// straight on.
struct IngestAwareTracingMiddleware: RouterMiddleware {
    typealias Context = HeraldRequestContext
    private let tracing = TracingMiddleware<HeraldRequestContext>()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !TraceRecording.isOn || request.uri.path.contains(IngestRoute.pathPrefix) {
            return try await next(request, context)
        }
        return try await tracing.handle(request, context: context, next: next)
    }
}
