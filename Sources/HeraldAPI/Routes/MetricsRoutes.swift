import HeraldCore
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The metrics in Prometheus' text exposition format, rendered when asked.
public struct MetricsExposition: Sendable {
    public let render: @Sendable () async -> [UInt8]

    public init(render: @escaping @Sendable () async -> [UInt8]) {
        self.render = render
    }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func response() async -> Response {
        let body = await render()
        return Response(
            status: .ok,
            headers: [.contentType: Self.contentType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}

/// `GET /metrics` on the API port: only an org token of the operator's organisation may read it — the counts cover
/// every tenant, and other organisations are tenants too. Prometheus sends it with
/// `authorization: {credentials_file: …}`; a separate metrics port needs none.
enum MetricsRoutes {
    static func add(
        to router: Router<HeraldRequestContext>,
        exposition: MetricsExposition,
        operatorOrgID: String,
        auth: AuthMiddleware
    ) {
        router.group(RouterPath("metrics")).add(middleware: auth).get { _, context -> Response in
            guard try context.requireOrgToken() == operatorOrgID else { throw HeraldError.forbidden() }
            return await exposition.response()
        }
    }
}

/// The listener of `HERALD_METRICS_PORT`: `/metrics` and nothing else, without a token, for a scraper on a network
/// the API's clients are not on.
public func buildMetricsApplication(
    exposition: MetricsExposition,
    host: String,
    port: Int,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.get("metrics") { _, _ in await exposition.response() }
    return Hummingbird.Application(
        router: router,
        server: .http1(configuration: HTTPServerLimits.configuration),
        configuration: .init(address: .hostname(host, port: port), serverName: "Herald"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger
    )
}
