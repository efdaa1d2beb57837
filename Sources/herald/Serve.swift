import ArgumentParser
import Foundation
import HeraldAPI
import HeraldCore
import HeraldSQLite
import Hummingbird
import Logging
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Herald server.")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let configuration = try options.configuration()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["HERALD_LOG_LEVEL"] ?? "") ?? .info
            return handler
        }
        let logger = Logger(label: "herald")
        let (secret, secretSource) = try configuration.resolveJWTSecret()
        let tokens = try await TokenAuthority(secret: Array(secret.utf8))
        let store: any HeraldStore
        switch configuration.database {
        case .sqlite(let path):
            store = try SQLiteStore(path: path)
        }
        let environment = APIEnvironment(
            store: store, tokens: tokens,
            settings: APISettings(
                httpsOnly: configuration.httpsOnly, maxBodyBytes: configuration.maxBodyBytes,
                defaultSecretKind: configuration.defaultSignature, publicURL: configuration.effectivePublicURL))
        let app = buildApplication(environment: environment, host: configuration.host, port: configuration.port, logger: logger) { port in
            logger.notice(
                "Herald listening on http://\(configuration.host):\(port), database \(configuration.database); JWT secret from \(secretSource); get a token with: herald token create"
            )
        }
        let services = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await services.run()
    }
}
