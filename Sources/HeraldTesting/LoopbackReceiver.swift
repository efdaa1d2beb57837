import Foundation
import HTTPTypes
import HeraldCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP receiver on 127.0.0.1 for delivery tests: records every request and answers as the test scripts it.
public final class LoopbackReceiver: Sendable {
    /// One request as it arrived.
    public struct Received: Sendable {
        public let path: String
        /// The `Host` the sender asked for.
        public let authority: String?
        public let headers: HTTPFields
        public let body: [UInt8]
        public let arrivedAt: ContinuousClock.Instant

        public func header(_ name: String) -> String? {
            HTTPField.Name(name).flatMap { headers[$0] }
        }
    }

    /// How to answer a request.
    public struct Reply: Sendable {
        public var status: HTTPResponse.Status
        public var headers: HTTPFields
        public var body: String
        /// Wait this long before answering.
        public var delay: Duration

        public init(_ status: HTTPResponse.Status, headers: HTTPFields = [:], body: String = "", delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    private let received = Mutex<[Received]>([])
    private let script: @Sendable (Int, String) -> Reply
    private let arrivals = WorkSignal()

    /// `script` gets the 0-based number of the request to that path and the path, and says how to answer.
    public init(script: @escaping @Sendable (_ index: Int, _ path: String) -> Reply = { _, _ in Reply(.noContent) }) {
        self.script = script
    }

    public var requests: [Received] { received.withLock { $0 } }

    public func requests(to path: String) -> [Received] {
        requests.filter { $0.path == path }
    }

    /// Waits (in real time, at most `timeout`) until `count` requests reached `path`; returns them.
    @discardableResult
    public func waitFor(_ count: Int, to path: String, timeout: Duration = .seconds(10)) async -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let matching = requests(to: path)
            if matching.count >= count { return matching }
            await arrivals.wait(timeout: .milliseconds(50))
        }
        return requests(to: path)
    }

    /// Runs the receiver for the duration of `body`, which gets its base URL (`http://127.0.0.1:PORT`).
    public func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("**") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 10 << 20)
            let path = request.uri.path
            let index = self.received.withLock { list -> Int in
                let index = list.filter { $0.path == path }.count
                list.append(
                    Received(
                        path: path,
                        authority: request.head.authority,
                        headers: request.headers,
                        body: Array(bytes.readableBytesView),
                        arrivedAt: .now
                    )
                )
                return index
            }
            self.arrivals.signal()
            let reply = self.script(index, path)
            if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
            return Response(status: reply.status, headers: reply.headers, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
        let port = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "receiver")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        // Stopped by a graceful shutdown, not by cancellation: a cancelled server logs its child channels' errors.
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = port.stream.makeAsyncIterator()
            guard let bound = await iterator.next() else { throw CancellationError() }
            do {
                let result = try await body("http://127.0.0.1:\(bound)")
                await services.triggerGracefulShutdown()
                try await group.waitForAll()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}
