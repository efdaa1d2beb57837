import Foundation
import HeraldAPI
import HeraldCore
import Prometheus
import Synchronization

/// One server's metrics: a Prometheus registry of its own (never the process-wide one, so a host application's
/// metrics stay its own), the handles Herald records through, and the exposition `/metrics` serves. Gauges that cost
/// a query (the queue) are sampled when scraped, at most every `queueSampleInterval`, however often the scrapes come.
final class PrometheusExport: Sendable {
    let registry = PrometheusCollectorRegistry()
    let metrics: HeraldMetrics
    private let lastQueueSample = Mutex<ContinuousClock.Instant?>(nil)
    static let queueSampleInterval = Duration.seconds(5)

    init(backend: DatabaseBackendName, version: String = HeraldVersion.current) {
        self.metrics = HeraldMetrics(factory: DescribedPrometheusFactory(registry: registry), backend: backend, version: version)
    }

    /// The metrics as `/metrics` serves them, the queue's gauges read from `queue`.
    func exposition(queue: any DeliveryQueue) -> MetricsExposition {
        MetricsExposition { [self] in
            await refresh(queue)
            return registry.emitToBuffer()
        }
    }

    private func refresh(_ queue: any DeliveryQueue) async {
        if let resident = ProcessSample.residentBytes() { metrics.residentMemory.record(resident) }
        if let descriptors = ProcessSample.openDescriptors() { metrics.openDescriptors.record(descriptors) }
        let now = ContinuousClock.now
        let due = lastQueueSample.withLock { last in
            guard last.map({ now - $0 >= Self.queueSampleInterval }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        // A database that cannot answer leaves the last sample showing; its errors are counted elsewhere.
        guard let depth = try? await queue.queueDepth(now: .now()) else { return }
        metrics.queueDue.record(depth.due)
        metrics.queueInFlight.record(depth.inFlight)
        metrics.queueRetrying.record(depth.retrying)
    }
}

/// What the process uses, read from Linux's `/proc` (nothing elsewhere).
enum ProcessSample {
    static func residentBytes() -> Int? {
        #if os(Linux)
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: Int(sysconf(Int32(_SC_PAGESIZE))))
        return overflow ? nil : bytes
        #else
        return nil
        #endif
    }

    static func openDescriptors() -> Int? {
        #if os(Linux)
        // Less one: the directory listing itself holds a descriptor while it reads.
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return max(0, entries.count - 1)
        #else
        return nil
        #endif
    }
}
