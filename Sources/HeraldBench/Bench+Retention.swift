import Foundation
import Histogram

extension Bench {
    /// A soak with a retention period (`--retention`, seconds): messages offered at `--rate` for `--duration` to an
    /// application with one endpoint, the database's size sampled every window, and 202→arrival latency per window
    /// while retention deletes behind the load. Once the period (and a sweep) has passed, the size stays flat.
    func retentionSoak(_ receiverURL: String) async throws -> [(String, Double)] {
        let period = options.retentionSeconds
        return try await withHerald(environment: ["HERALD_RETENTION": "\(period)s"]) { herald, load in
            try await load.call(.POST, "/api/v1/app", body: Self.appBody)
            try await makeEndpoints(load, urls: [receiverURL + "/soak"])
            receiver.recordArrivals(true)
            defer { receiver.recordArrivals(false) }
            let window = min(options.duration, 10)
            // Bounded before converting: a duration from the command line must not trap the conversion.
            let windows = max(1, Int(min(options.duration / window, 1_000_000).rounded()))
            progress("retention: \(options.offeredRate) msg/s for \(windows) windows of \(window) s, retention \(period) s")
            var accepted: [[(String, ContinuousClock.Instant)]] = []
            var sizes: [Double] = []
            for index in 0..<windows {
                accepted.append(try await load.offer(app: "bench", rate: options.offeredRate, duration: .milliseconds(Int64(window * 1000))))
                let megabytes = Double(try herald.databaseBytes()) / 1_048_576
                sizes.append(megabytes)
                progress(String(format: "retention: %4.0f s  database %.1f MB", Double(index + 1) * window, megabytes))
            }
            let all = accepted.flatMap { $0 }
            _ = try await waitUntil(timeout: .seconds(60)) { all.allSatisfy { receiver.arrival(of: $0.0, path: "/soak") != nil } }
            var overall = Histogram<UInt64>(highestTrackableValue: 600_000_000)
            var worstWindow: UInt64 = 0
            for batch in accepted {
                var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000)
                for (id, at) in batch {
                    guard let arrived = receiver.arrival(of: id, path: "/soak") else { continue }
                    let micros = arrived > at ? LoadGenerator.micros(arrived - at) : 0
                    _ = histogram.record(micros)
                    _ = overall.record(micros)
                }
                worstWindow = max(worstWindow, histogram.valueAtPercentile(99))
            }
            func size(at fraction: Double) -> Double { sizes[min(sizes.count - 1, max(0, Int(Double(sizes.count) * fraction) - 1))] }
            return [
                ("messages", Double(all.count)),
                ("db_mb_at_25pct", size(at: 0.25)),
                ("db_mb_at_50pct", size(at: 0.5)),
                ("db_mb_at_75pct", size(at: 0.75)),
                ("db_mb_at_end", size(at: 1)),
                ("growth_second_half", size(at: 1) / max(size(at: 0.5), 0.001)),
                ("p50_ms", Self.milliseconds(overall.valueAtPercentile(50))),
                ("p99_ms", Self.milliseconds(overall.valueAtPercentile(99))),
                ("worst_window_p99_ms", Self.milliseconds(worstWindow)),
                ("lost", Double(all.count - Int(overall.totalCount))),
            ]
        }
    }
}
