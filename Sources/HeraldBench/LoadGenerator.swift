import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import NIOHTTP1
import Synchronization

/// Drives Herald's API over loopback: set-up calls, closed-loop saturation and open-loop fixed-rate sending. Set-up
/// calls go through AsyncHTTPClient; messages, sent by the thousand, through the cheaper `PlainHTTPClient`.
struct LoadGenerator: Sendable {
    let http: HTTPClient
    let base: String
    let token: String
    private let messages: PlainHTTPClient
    /// The `host` header's value.
    private let authority: String

    /// A load for the Herald at `host:port`, with at most `connections` connections for messages.
    init(http: HTTPClient, host: String, port: Int, token: String, connections: Int) {
        self.http = http
        self.base = "http://\(host):\(port)"
        self.token = token
        authority = "\(host):\(port)"
        messages = PlainHTTPClient(host: host, port: port, maxConnections: connections)
    }

    /// Closes the load's connections.
    func shutdown() async throws {
        messages.shutdown()
        try await http.shutdown()
    }

    /// A message body with a ~1 KB payload, built once.
    static let messageBody: ByteBuffer = {
        let filler = String(repeating: "x", count: 960)
        return ByteBuffer(string: #"{"eventType":"bench.event","payload":{"kind":"bench","data":"\#(filler)"}}"#)
    }()

    static func makeClient(connections: Int) -> HTTPClient {
        HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(5), read: .seconds(60)),
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
            )
        )
    }

    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        request.headers.add(name: "content-type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            throw BenchError("\(method) \(path) answered \(response.status.code): \(String(decoding: bytes, as: UTF8.self))")
        }
        return bytes
    }

    /// The status of one call with an empty body, whatever it is (a refusal is data here, not an error).
    func status(_ method: HTTPMethod, _ path: String) async throws -> Int {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: "{}"))
        let response = try await http.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    /// Sends one message; returns its id once the 202 arrived.
    func sendMessage(app: String) async throws -> String {
        let body = Self.messageBody
        var request = ByteBuffer()
        request.reserveCapacity(body.readableBytes + 256 + token.utf8.count)
        request.writeString(
            "POST /api/v1/app/\(app)/msg?with_content=false HTTP/1.1\r\nhost: \(authority)\r\nauthorization: Bearer \(token)\r\n"
                + "content-type: application/json\r\ncontent-length: \(body.readableBytes)\r\n\r\n"
        )
        request.writeImmutableBuffer(body)
        let response = try await messages.send(request)
        guard response.status == 202 else {
            throw BenchError("message create answered \(response.status): \(String(buffer: response.body))")
        }
        return Self.id(in: response.body)
    }

    /// The `id` of a created resource (a MessageOut, an EndpointOut), found without decoding the whole object.
    static func id(in body: ByteBuffer) -> String {
        let text = String(buffer: body)
        guard let range = text.range(of: #""id":""#) else { return "" }
        let rest = text[range.upperBound...]
        return String(rest.prefix { $0 != "\"" })
    }

    /// `workers` loops sending as fast as they can for `duration`; returns messages accepted and 202 latencies.
    func saturate(app: String, workers: Int, duration: Duration) async throws -> (count: Int, latency: Histogram<UInt64>) {
        try await Self.saturate(workers: workers, duration: duration) { _ in _ = try await sendMessage(app: app) }
    }

    /// `workers` loops calling `send` (with their number) as fast as they can for `duration`; returns how many calls
    /// finished and their latencies.
    static func saturate(
        workers: Int,
        duration: Duration,
        _ send: @escaping @Sendable (Int) async throws -> Void
    ) async throws -> (count: Int, latency: Histogram<UInt64>) {
        let deadline = ContinuousClock.now + duration
        return try await withThrowingTaskGroup(of: (Int, Histogram<UInt64>).self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
                    var count = 0
                    while ContinuousClock.now < deadline {
                        let started = ContinuousClock.now
                        try await send(worker)
                        _ = histogram.record(Self.micros(ContinuousClock.now - started))
                        count += 1
                    }
                    return (count, histogram)
                }
            }
            var total = 0
            var merged = Histogram<UInt64>(highestTrackableValue: 60_000_000)
            for try await (count, histogram) in group {
                total += count
                merged.add(histogram)
            }
            return (total, merged)
        }
    }

    /// `workers` loops sending `count` messages in all, as fast as they can.
    func send(count: Int, app: String, workers: Int) async throws {
        let remaining = Locked(count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while remaining.withLock({ left -> Bool in
                        guard left > 0 else { return false }
                        left -= 1
                        return true
                    }) {
                        _ = try await sendMessage(app: app)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Sends at a fixed `rate` for `duration`, whatever the answers' latency; returns (id, 202 time) per message.
    func offer(app: String, rate: Int, duration: Duration) async throws -> [(String, ContinuousClock.Instant)] {
        let accepted = Locked<[(String, ContinuousClock.Instant)]>([])
        let start = ContinuousClock.now
        let total = Int(Double(rate) * duration.seconds)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                let due = start + .microseconds(Int64(index) * 1_000_000 / Int64(rate))
                if due > ContinuousClock.now { try await Task.sleep(until: due, clock: .continuous) }
                group.addTask {
                    let id = try await sendMessage(app: app)
                    let at = ContinuousClock.now
                    accepted.withLock { $0.append((id, at)) }
                }
            }
            try await group.waitForAll()
        }
        return accepted.withLock { $0 }
    }

    /// The machine's ceiling: the same receiver hit directly by `workers` loops with 1 KB bodies.
    static func rawCeiling(url: String, workers: Int, duration: Duration) async throws -> Int {
        let client = makeClient(connections: workers)
        let deadline = ContinuousClock.now + duration
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "content-type", value: "application/json")
                        request.body = .bytes(messageBody)
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        try await client.shutdown()
        return count
    }

    static func micros(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
