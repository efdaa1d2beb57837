import Hummingbird
import Logging

/// Builds the Hummingbird application that serves Herald's API.
public func buildApplication(
    environment: APIEnvironment, host: String, port: Int, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Hummingbird.Application(
        router: HeraldRouter.build(environment: environment),
        configuration: .init(address: .hostname(host, port: port), serverName: "Herald"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger
    )
}
