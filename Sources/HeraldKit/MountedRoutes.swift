import HTTPTypes
import HeraldAPI
import Hummingbird

extension Herald {
    /// Herald's REST API (`<prefix>/api/v1/…`), operator dashboard (`<prefix>/dashboard`) and customer portal
    /// (`<prefix>/portal`) served by the host's own Hummingbird router, as middleware added to it:
    ///
    /// ```swift
    /// router.add(middleware: try herald.routes(under: "/herald"))
    /// ```
    ///
    /// Requests under the prefix go to Herald, with Herald's own authentication (bearer tokens), limits and errors;
    /// every other request goes on to the host's routes. Before Herald is ready they are answered 503. Set
    /// `publicURL` in the configuration to the prefix's address so portal links point under it.
    ///
    /// The dashboard and portal then share the host's origin: they keep their token in the tab's session storage, so
    /// a script the host serves on that origin could read it. Mount them on an origin of their own (a subdomain) when
    /// the host's pages cannot be trusted with an org token.
    public func routes<Context: RequestContext>(
        under prefix: String,
        context: Context.Type = Context.self
    ) throws -> MountedHeraldRoutes<Context> {
        try MountedHeraldRoutes(herald: self, prefix: prefix)
    }
}

/// Middleware that hands requests under a prefix to Herald (see `Herald.routes(under:)`).
public struct MountedHeraldRoutes<Context: RequestContext>: RouterMiddleware {
    let herald: Herald
    /// A path without a trailing slash.
    let prefix: String

    init(herald: Herald, prefix: String) throws {
        self.herald = herald
        var trimmed = prefix
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        if !trimmed.hasPrefix("/") { trimmed = "/" + trimmed }
        // At the root Herald would answer every path and the host's routes would never be reached.
        guard trimmed.count > 1, !trimmed.contains("?"), !trimmed.contains("#") else { throw HeraldKitError.invalidPrefix(prefix) }
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
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        if rest.isEmpty { return "/" }
        guard let first = rest.first, first == "/" || first == "?" else { return nil }
        return first == "?" ? "/" + rest : String(rest)
    }
}
