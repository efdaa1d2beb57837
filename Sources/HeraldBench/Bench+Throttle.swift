import Foundation

extension Bench {
    /// An endpoint with a `throttleRate` (50/s, then 250/s) offered twice its rate for the run's duration: the rate
    /// it received (after its burst) and the most it received in any one second, which the rate and burst bound.
    func throttle(_ receiverURL: String) async throws -> [(String, Double)] {
        try await withHerald { _, load in
            var figures: [(String, Double)] = []
            for rate in [50, 250] {
                let app = "throttled\(rate)"
                let path = "/throttled/\(rate)"
                try await load.call(.POST, "/api/v1/app", body: #"{"name":"Throttled","uid":"\#(app)"}"#)
                try await load.call(
                    .POST,
                    "/api/v1/app/\(app)/endpoint",
                    body: #"{"url":"\#(receiverURL)\#(path)","throttleRate":\#(rate)}"#
                )
                receiver.recordArrivals(true)
                progress("throttle: \(2 * rate) msg/s offered to an endpoint throttled at \(rate)/s")
                let messages = try await load.offer(app: app, rate: 2 * rate, duration: duration).map(\.0)
                _ = try await waitUntil(timeout: duration * 2 + .seconds(30)) {
                    messages.allSatisfy { receiver.arrival(of: $0, path: path) != nil }
                }
                let arrivals = messages.compactMap { receiver.arrival(of: $0, path: path) }.sorted()
                guard arrivals.count == messages.count, let first = arrivals.first, let last = arrivals.last else {
                    throw BenchError("throttle: \(arrivals.count) of \(messages.count) messages arrived at the \(rate)/s endpoint")
                }
                let burst = max(1, rate / 10)
                var busiest = 0
                var start = 0
                for (end, arrival) in arrivals.enumerated() {
                    while arrival - arrivals[start] >= .seconds(1) { start += 1 }
                    busiest = max(busiest, end - start + 1)
                }
                figures += [
                    ("rate_\(rate)_messages", Double(messages.count)),
                    ("rate_\(rate)_measured_per_s", Double(arrivals.count - burst) / max(Self.seconds(last - first), 0.001)),
                    ("rate_\(rate)_most_in_one_second", Double(busiest)),
                    ("rate_\(rate)_bound_rate_plus_burst", Double(rate + burst)),
                ]
            }
            return figures
        }
    }
}
