import HeraldCore
import HeraldDelivery
import HeraldSetup
import Logging
import ServiceLifecycle

/// `herald prune`: retention once, from the command line, on the database a configuration names — the SQLite file
/// (locked, so only while no server holds it) or PostgreSQL (beside running instances).
public enum Prune {
    public static func run(_ configuration: HeraldConfiguration, logger: Logger) async throws -> Retention.Report {
        let opened = try OpenedStore(configuration: configuration, metrics: .off, logger: logger)
        let retention = Retention(store: opened.store, period: configuration.retention, exactCutoff: true, logger: logger)
        guard let service = opened.service else {
            try await opened.ready()
            return await retention.sweep()
        }
        // PostgreSQL's store is a service (its pool): it runs while the sweep does.
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await opened.ready()
                let report = await retention.sweep()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return report
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
