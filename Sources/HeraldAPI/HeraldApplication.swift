import Hummingbird
import HummingbirdCore
import Logging

/// Builds the Hummingbird application that serves Herald's API.
public func buildApplication(
    environment: APIEnvironment,
    host: String,
    port: Int,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Hummingbird.Application(
        router: HeraldRouter.build(environment: environment),
        server: .http1(configuration: HTTPServerLimits.configuration),
        configuration: .init(address: .hostname(host, port: port), serverName: "Herald"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger
    )
}

/// Limits of the HTTP server, documented in the README: a request's headers are bounded in number and size, and an
/// idle keep-alive connection is closed, so a client cannot hold memory or connections open for free. Bodies are
/// bounded per route by `APISettings.maxBodyBytes`.
public enum HTTPServerLimits {
    public static let maxHeaderCount = 100
    public static let maxHeaderFieldBytes = 16 * 1024
    public static let maxHeaderListBytes = 64 * 1024
    public static let idleTimeoutSeconds: Int64 = 75

    static var configuration: HTTP1Channel.Configuration {
        .init(
            idleTimeout: .seconds(idleTimeoutSeconds),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: maxHeaderFieldBytes,
                maxHeaderListSize: maxHeaderListBytes,
                maxHeaderFieldCount: maxHeaderCount
            )
        )
    }
}
