import HeraldCore
import Logging
import ServiceLifecycle

/// Keeps the database from growing without end, every minute, in short batches so ingest and delivery never wait
/// long behind it:
/// - payloads whose `payloadRetentionPeriod` ended are deleted (the message, its deliveries and attempts stay; the
///   API answers `{"expired": true}` from the moment of expiry);
/// - with a retention period (`HERALD_RETENTION`), messages older than it go, with their deliveries, attempts and
///   feed entries — except those with a delivery still waiting or retrying, which stay until it ends. Where the
///   backend partitions by time (PostgreSQL), whole partitions are dropped instead of rows deleted, so data outlives
///   the period by up to one partition's width (`PartitionWidth`), unless `exactCutoff` asks for rows up to it;
/// - idempotency keys and token revocations that have expired go.
public struct Retention: Service {
    let store: any MessageStore
    /// Messages older than this are deleted; nil keeps them.
    let period: RetentionPeriod?
    let interval: Duration
    let batchSize: Int
    /// Whether messages in a partition not yet droppable whole are deleted row by row up to the cutoff (`herald
    /// prune`, run once) rather than left for their partition (the service, whose cost must stay flat).
    let exactCutoff: Bool
    let logger: Logger

    public init(
        store: any MessageStore,
        period: RetentionPeriod?,
        interval: Duration = .seconds(60),
        batchSize: Int = 500,
        exactCutoff: Bool = false,
        logger: Logger
    ) {
        self.store = store
        self.period = period
        self.interval = interval
        self.batchSize = batchSize
        self.exactCutoff = exactCutoff
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

    /// What one sweep deleted.
    public struct Report: Sendable, Hashable {
        public var payloads = 0
        /// Messages deleted row by row.
        public var messages = 0
        /// Time partitions dropped whole.
        public var partitions = 0
        public var expiredRecords = 0
        /// What failed (and is left for the next sweep).
        public var failures: [String] = []
    }

    /// Deletes everything due now, batch by batch. A failure is logged and left for the next sweep (nothing is lost
    /// by waiting: expired payloads are already hidden, old messages merely kept longer).
    @discardableResult
    public func sweep(now: Timestamp = .now()) async -> Report {
        var report = Report()
        report.payloads = await batches("deleting expired payloads", &report) { try await store.expireDuePayloads(now: now, limit: $0) }
        // Partitions are made ahead with or without a period (PostgreSQL); with one, old ones are dropped.
        let cutoff = period.map { now.adding(seconds: -$0.seconds) }
        var rowsBefore = cutoff
        do {
            let upkeep = try await store.maintainPartitions(now: now, cutoff: cutoff, widthSeconds: PartitionWidth.seconds(for: period))
            report.partitions = upkeep.dropped
            report.failures += upkeep.failures
            for failure in upkeep.failures { logger.warning("\(failure)") }
            if !exactCutoff { rowsBefore = upkeep.rowsBefore }
        } catch {
            logger.warning("partition upkeep failed", metadata: ["herald.error": "\(String(reflecting: error))"])
            report.failures.append("partition upkeep failed: \(error)")
        }
        if let rowsBefore {
            report.messages = await batches("deleting old messages", &report) { try await store.pruneMessages(before: rowsBefore, limit: $0) }
        }
        do {
            report.expiredRecords = try await store.sweepExpiredRecords(now: now, messagesBefore: cutoff)
        } catch {
            logger.warning("deleting expired idempotency keys failed", metadata: ["herald.error": "\(String(reflecting: error))"])
            report.failures.append("deleting expired idempotency keys failed: \(error)")
        }
        if report.payloads > 0 || report.messages > 0 || report.partitions > 0 {
            logger.info(
                "retention deleted old data",
                metadata: [
                    "herald.payloads": "\(report.payloads)", "herald.messages": "\(report.messages)",
                    "herald.partitions": "\(report.partitions)",
                ]
            )
        }
        return report
    }

    /// Runs `batch` until it deletes less than a full batch; returns the total.
    private func batches(_ what: String, _ report: inout Report, _ batch: (Int) async throws -> Int) async -> Int {
        var total = 0
        do {
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                let count = try await batch(batchSize)
                total += count
                guard count == batchSize else { break }
                // A backlog (the first sweep after an upgrade, or after retention was shortened) is worked off in
                // paced batches, leaving the writer to ingest in between.
                try await Task.sleep(for: .milliseconds(50))
            }
        } catch is CancellationError {
            // Shutting down: the next start sweeps what is left.
        } catch {
            logger.warning("\(what) failed", metadata: ["herald.error": "\(String(reflecting: error))"])
            report.failures.append("\(what) failed: \(error)")
        }
        return total
    }
}
