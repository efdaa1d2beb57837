import AsyncHTTPClient
import Foundation
import Histogram
import Synchronization

extension Bench {
    /// Another tenant's latency while one tenant hammers resends on endpoints that hang, against the same run without
    /// it, with Herald's default tenant limits. The noisy application has 8 endpoints that never answer (1 s request
    /// timeout) and 16 clients asking for resends as fast as they can; the quiet one sends 100 msg/s to 10 healthy
    /// endpoints.
    func noisyTenant(_ receiverURL: String) async throws -> [(String, Double)] {
        let healthy = (0..<10).map { "/quiet/\($0)" }
        let hammered = Hammering()
        func run(noisy: Bool) async throws -> Histogram<UInt64> {
            hammered.reset()
            // Herald's default limits, the message rate included (the other scenarios turn it off).
            return try await withHerald(environment: ["HERALD_REQUEST_TIMEOUT": "1", "HERALD_MESSAGE_RATE_PER_APP": "2000"]) { _, load in
                try await load.call(.POST, "/api/v1/app", body: Self.appBody)
                try await makeEndpoints(load, urls: healthy.map { receiverURL + $0 })
                var targets: [(message: String, endpoint: String)] = []
                if noisy {
                    try await load.call(.POST, "/api/v1/app", body: #"{"name":"Noisy","uid":"noisy"}"#)
                    var endpoints: [String] = []
                    for _ in 0..<8 {
                        let created = try await load.call(.POST, "/api/v1/app/noisy/endpoint", body: #"{"url":"\#(receiverURL)/slow"}"#)
                        endpoints.append(LoadGenerator.id(in: .init(bytes: created)))
                    }
                    for _ in 0..<8 {
                        let message = try await load.sendMessage(app: "noisy")
                        targets += endpoints.map { (message, $0) }
                    }
                }
                let resends = targets
                receiver.recordArrivals(true)
                progress("noisy: 100 msg/s to 10 healthy endpoints\(noisy ? " while another tenant hammers resends to 8 hanging ones" : "")")
                let accepted = try await withThrowingTaskGroup(of: Void.self) { group in
                    if noisy {
                        for worker in 0..<16 {
                            group.addTask {
                                var index = worker
                                while !hammered.stopped {
                                    let target = resends[index % resends.count]
                                    index += 16
                                    let status = try await load.status(
                                        .POST,
                                        "/api/v1/app/noisy/msg/\(target.message)/endpoint/\(target.endpoint)/resend"
                                    )
                                    hammered.count(status)
                                }
                            }
                        }
                    }
                    let accepted = try await load.offer(app: "bench", rate: 100, duration: duration)
                    hammered.stop()
                    try await group.waitForAll()
                    return accepted
                }
                return try await arrivalLatency(of: accepted, at: healthy)
            }
        }
        let baseline = try await run(noisy: false)
        let disturbed = try await run(noisy: true)
        let base99 = Self.milliseconds(baseline.valueAtPercentile(99))
        let with99 = Self.milliseconds(disturbed.valueAtPercentile(99))
        let counts = hammered.counts
        return [
            ("quiet_p99_ms", base99), ("quiet_p99_ms_with_noisy_tenant", with99), ("ratio", with99 / max(base99, 0.001)),
            ("noisy_resends_granted", Double(counts.granted)), ("noisy_resends_refused_429", Double(counts.refused)),
        ]
    }
}

/// The noisy tenant's resend loop: when to stop, and how its requests were answered.
private final class Hammering: Sendable {
    private let state = Mutex((stopped: false, granted: 0, refused: 0))

    var stopped: Bool { state.withLock { $0.stopped } }
    var counts: (granted: Int, refused: Int) { state.withLock { ($0.granted, $0.refused) } }

    func stop() { state.withLock { $0.stopped = true } }

    func reset() { state.withLock { $0 = (false, 0, 0) } }

    func count(_ status: Int) {
        state.withLock { state in
            if status == 429 {
                state.refused += 1
            } else {
                state.granted += 1
            }
        }
    }
}
