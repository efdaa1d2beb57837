import HeraldCore
import Logging
import ServiceLifecycle

/// Deletes the payloads whose retention (`payloadRetentionPeriod`) ended, every minute, in batches: the messages,
/// their attempts and deliveries stay. The API answers `{"expired": true}` from the moment of expiry; this is what
/// takes the bytes off the disk. Each batch is one short write, so ingest and delivery never wait long behind it.
public struct PayloadExpiry: Service {
    let store: any MessageStore
    let interval: Duration
    let batchSize: Int
    let logger: Logger

    public init(store: any MessageStore, interval: Duration = .seconds(60), batchSize: Int = 500, logger: Logger) {
        self.store = store
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            await sweep()
            // ±10 %: instances sharing PostgreSQL drift apart instead of sweeping the same rows together.
            let wait = interval * Double.random(in: 0.9...1.1)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
        }
    }

    /// Deletes every payload due now, batch by batch; returns how many. A failure is logged and left for the next
    /// sweep (nothing is lost by waiting: the payload is already hidden).
    @discardableResult
    public func sweep() async -> Int {
        var total = 0
        do {
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                let count = try await store.expireDuePayloads(now: .now(), limit: batchSize)
                total += count
                guard count == batchSize else { break }
                // A backlog (the first sweep after an upgrade) is worked off in paced batches, leaving the writer to
                // ingest in between.
                try await Task.sleep(for: .milliseconds(50))
            }
        } catch is CancellationError {
            // Shutting down: the next start sweeps what is left.
        } catch {
            logger.warning("deleting expired payloads failed", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
        if total > 0 { logger.info("deleted expired payloads", metadata: ["herald.count": "\(total)"]) }
        return total
    }
}
