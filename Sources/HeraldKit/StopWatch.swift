import Logging
import ServiceLifecycle

/// Runs a service and warns when it has not stopped `patience` after graceful shutdown began: a stop that hangs names
/// itself in the log (the soak found stops that never ended on their own, and nothing said which part waited).
struct StopWatch: Service, CustomStringConvertible {
    let service: any Service
    /// What the warning calls it: "the delivery worker".
    let name: String
    var patience: Duration = .seconds(10)
    let logger: Logger

    var description: String { "StopWatch(\(name))" }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [name, patience, logger] in
                // Throws at cancellation: the service ended first, or the whole group is cancelled.
                try await gracefulShutdown()
                try await Task.sleep(for: patience)
                logger.warning("\(name) has not stopped \(patience) after shutdown began; still waiting for it")
            }
            defer { group.cancelAll() }
            try await service.run()
        }
    }
}
