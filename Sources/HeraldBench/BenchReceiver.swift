import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The webhook receiver the benchmark delivers to: answers 204 at once (or never, on `/slow`), counting arrivals per
/// path and keeping each message's arrival time when asked to.
final class BenchReceiver: Sendable {
    private struct State {
        var counts: [String: Int] = [:]
        var arrivals: [String: ContinuousClock.Instant] = [:]
        var recordArrivals = false
    }

    private let state = Mutex(State())

    func count(_ path: String) -> Int { state.withLock { $0.counts[path, default: 0] } }
    func total(prefix: String) -> Int { state.withLock { $0.counts.filter { $0.key.hasPrefix(prefix) }.values.reduce(0, +) } }

    /// Keeps per-message arrival times (latency runs) or not (throughput runs).
    func recordArrivals(_ enabled: Bool) {
        state.withLock {
            $0.recordArrivals = enabled
            $0.arrivals.removeAll()
        }
    }

    func arrival(of messageID: String, path: String) -> ContinuousClock.Instant? {
        state.withLock { $0.arrivals[path + "|" + messageID] }
    }

    func reset() {
        state.withLock { $0 = State() }
    }

    /// Runs the receiver for the duration of `body`, which gets its base URL.
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("**") { request, _ -> Response in
            let arrived = ContinuousClock.now
            _ = try await request.body.collect(upTo: 4 << 20)
            let path = request.uri.path
            if path == "/slow" {
                try await Task.sleep(for: .seconds(30))
            }
            let id = request.headers[HTTPField.Name("webhook-id")!]
            self.state.withLock { state in
                state.counts[path, default: 0] += 1
                if state.recordArrivals, let id { state.arrivals[path + "|" + id] = arrived }
            }
            return Response(status: .noContent)
        }
        let port = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "bench-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = port.stream.makeAsyncIterator()
            guard let bound = await iterator.next() else { throw CancellationError() }
            defer { group.cancelAll() }
            return try await body("http://127.0.0.1:\(bound)")
        }
    }
}
