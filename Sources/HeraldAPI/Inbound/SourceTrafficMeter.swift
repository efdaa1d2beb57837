import HeraldCore
import Logging
import ServiceLifecycle
import Synchronization

/// Counts what each source's ingest URL receives, in memory, for `SourceTrafficFlusher` to add to the store every few
/// seconds: a request costs a lock, never a write of its own (a flood of refused requests must not become a flood of
/// database writes). Sources are bounded per application, so the table is too.
public final class SourceTrafficMeter: Sendable {
    enum Outcome {
        case accepted, duplicate
        /// Why, with the request's user agent and declared length (samples for the operator; never body or secrets).
        case rejected(String, userAgent: String? = nil, contentLength: Int? = nil)
    }

    private let pending = Mutex<[String: SourceTraffic]>([:])

    func count(_ sourceID: String, _ outcome: Outcome, at now: Timestamp) {
        pending.withLock { pending in
            var traffic = pending[sourceID] ?? SourceTraffic()
            traffic.received += 1
            switch outcome {
            case .accepted: traffic.accepted += 1
            case .duplicate: traffic.duplicates += 1
            case .rejected(let reason, let userAgent, let contentLength):
                traffic.rejected += 1
                traffic.lastRejection = reason
                traffic.lastRejectedAt = now
                let sample = SourceTraffic.RejectionSample(
                    at: now,
                    reason: reason,
                    userAgent: userAgent.map { String($0.prefix(200)) },
                    contentLength: contentLength
                )
                traffic.recentRejections = Array((traffic.recentRejections + [sample]).suffix(SourceTraffic.sampleLimit))
            }
            pending[sourceID] = traffic
        }
    }

    /// Counted since the last take.
    func take() -> [String: SourceTraffic] {
        pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }

    /// Counts a failed write could not add: kept for the next one.
    func putBack(_ traffic: [String: SourceTraffic]) {
        pending.withLock { pending in
            for (id, counted) in traffic {
                var merged = counted
                if let newer = pending[id] { merged.add(newer) }
                pending[id] = merged
            }
        }
    }
}

/// Adds the counted traffic to the store every `interval`, and once more at shutdown.
public struct SourceTrafficFlusher: Service {
    let meter: SourceTrafficMeter
    let store: any SourceStore
    let interval: Duration
    let logger: Logger

    public init(meter: SourceTrafficMeter, store: any SourceStore, interval: Duration = .seconds(2), logger: Logger) {
        self.meter = meter
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await flush()
        }
    }

    /// Writes what was counted; on failure keeps it for the next time (the live views are a few seconds late then).
    func flush() async {
        let counted = meter.take()
        guard !counted.isEmpty else { return }
        do {
            try await store.addSourceTraffic(counted)
        } catch {
            meter.putBack(counted)
            logger.warning("recording inbound traffic failed; kept for the next try", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
    }
}
