import HTTPTypes
import HeraldAPI
import Hummingbird

extension Herald {
    /// Herald's REST API (`<prefix>/api/v1/…`), operator dashboard (`<prefix>/dashboard`) and customer portal
    /// (`<prefix>/portal`) served by the host's own Hummingbird router, as middleware added to it:
    ///
    /// ```swift
    /// router.add(middleware: herald.routes(under: "/herald"))
    /// ```
    ///
    /// Requests under the prefix go to Herald, with Herald's own authentication (bearer tokens), limits and errors;
    /// every other request goes on to the host's routes. Before Herald is ready they are answered 503. Set
    /// `publicURL` in the configuration to the prefix's address so portal links point under it.
    public func routes<Context: RequestContext>(under prefix: String, context: Context.Type = Context.self) -> MountedHeraldRoutes<Context> {
        MountedHeraldRoutes(herald: self, prefix: prefix)
    }
}

/// Middleware that hands requests under a prefix to Herald (see `Herald.routes(under:)`).
public struct MountedHeraldRoutes<Context: RequestContext>: RouterMiddleware {
    let herald: Herald
    /// Without a trailing slash; empty mounts Herald at the root.
    let prefix: String

    init(herald: Herald, prefix: String) {
        self.herald = herald
        var trimmed = prefix
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        if !trimmed.isEmpty, !trimmed.hasPrefix("/") { trimmed = "/" + trimmed }
        self.prefix = trimmed
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let path = request.head.path, let inner = innerPath(path) else {
            return try await next(request, context)
        }
        guard let running = herald.runningNow else {
            return Response(
                status: .serviceUnavailable,
                headers: [.contentType: "application/json", .retryAfter: "1"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"code":"not_ready","detail":"Herald is starting"}"#))
            )
        }
        var head = request.head
        head.path = inner
        return try await running.responder.respond(
            to: Request(head: head, body: request.body),
            context: HeraldRequestContext(hostedBy: context)
        )
    }

    /// The path Herald sees for `path`, or nil when `path` is not under the prefix (`/herald-x` is not under
    /// `/herald`).
    func innerPath(_ path: String) -> String? {
        guard !prefix.isEmpty else { return path }
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        if rest.isEmpty { return "/" }
        guard let first = rest.first, first == "/" || first == "?" else { return nil }
        return first == "?" ? "/" + rest : String(rest)
    }
}
