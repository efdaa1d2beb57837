import NIOCore
import NIOPosix
import Synchronization

/// The load's own HTTP/1.1 client for the requests it sends by the thousand (messages): keep-alive connections to one
/// server, each carrying one request at a time, each request's bytes encoded once by the caller. AsyncHTTPClient, which
/// sent them before, spent 110–130 µs of CPU per request on this machine — about as much as the Herald it measures,
/// on the same two cores; the load's cost is the harness's, not Herald's, so it is kept as small as wrk's
/// (BENCHMARKS.md, session 56). It understands only what Herald answers: a status line, headers and a body of
/// `content-length` bytes (a chunked answer fails the request).
final class PlainHTTPClient: Sendable {
    private enum Lease {
        case reuse(any Channel)
        case open
    }

    private struct Pool {
        var idle: [any Channel] = []
        var open = 0
        var waiting: [CheckedContinuation<Lease, Never>] = []
    }

    private let host: String
    private let port: Int
    private let maxConnections: Int
    private let pool = Mutex(Pool())

    /// A client of `host:port` holding at most `maxConnections` connections; callers beyond them wait for one.
    init(host: String, port: Int, maxConnections: Int) {
        self.host = host
        self.port = port
        self.maxConnections = max(1, maxConnections)
    }

    /// Sends `request` (a whole HTTP/1.1 request, head and body) on a free connection and returns the answer.
    func send(_ request: ByteBuffer) async throws -> PlainHTTPResponse {
        let channel = try await acquire()
        do {
            let response = try await Self.exchange(request, on: channel)
            if response.keepsConnection {
                release(channel)
            } else {
                channel.close(promise: nil)
                release(nil)
            }
            return response
        } catch {
            channel.close(promise: nil)
            release(nil)
            throw error
        }
    }

    /// Closes every idle connection (those in use close as their requests end).
    func shutdown() {
        let idle = pool.withLock { pool -> [any Channel] in
            defer {
                pool.open -= pool.idle.count
                pool.idle = []
            }
            return pool.idle
        }
        for channel in idle { channel.close(promise: nil) }
    }

    private static func exchange(_ request: ByteBuffer, on channel: any Channel) async throws -> PlainHTTPResponse {
        let answer = channel.eventLoop.makePromise(of: PlainHTTPResponse.self)
        // A write that fails before it reaches the reader (the connection gone) must still end the wait.
        channel.writeAndFlush(PlainHTTPExchange(request: request, answer: answer)).whenFailure { answer.fail($0) }
        return try await answer.futureResult.get()
    }

    private func acquire() async throws -> any Channel {
        let lease = await withCheckedContinuation { (continuation: CheckedContinuation<Lease, Never>) in
            let now = pool.withLock { pool -> Lease? in
                while let channel = pool.idle.popLast() {
                    if channel.isActive { return .reuse(channel) }
                    pool.open -= 1
                }
                guard pool.open < maxConnections else {
                    pool.waiting.append(continuation)
                    return nil
                }
                pool.open += 1
                return .open
            }
            if let now { continuation.resume(returning: now) }
        }
        switch lease {
        case .reuse(let channel):
            return channel
        case .open:
            do {
                return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(PlainHTTPReader()) }
                    }
                    .connect(host: host, port: port)
                    .get()
            } catch {
                release(nil)
                throw error
            }
        }
    }

    /// Gives back a connection, or with `nil` the place of one that closed; a waiting caller gets it first.
    private func release(_ channel: (any Channel)?) {
        let handOver = pool.withLock { pool -> (CheckedContinuation<Lease, Never>, Lease)? in
            guard pool.waiting.isEmpty else {
                let waiter = pool.waiting.removeFirst()
                return (waiter, channel.map { .reuse($0) } ?? .open)
            }
            if let channel {
                pool.idle.append(channel)
            } else {
                pool.open -= 1
            }
            return nil
        }
        if let (waiter, lease) = handOver { waiter.resume(returning: lease) }
    }
}

/// An answer: its status, its body, and whether the server keeps the connection open after it.
struct PlainHTTPResponse: Sendable {
    var status: Int
    var body: ByteBuffer
    var keepsConnection: Bool
}

struct PlainHTTPError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A request on its way to the connection's reader, with the promise its answer completes.
private struct PlainHTTPExchange: Sendable {
    var request: ByteBuffer
    var answer: EventLoopPromise<PlainHTTPResponse>
}

/// Writes each request and reads its answer; one exchange at a time, a minute at most.
private final class PlainHTTPReader: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = PlainHTTPExchange
    typealias OutboundOut = ByteBuffer

    private var answer: EventLoopPromise<PlainHTTPResponse>?
    private var received = ByteBuffer()
    private var deadline: Scheduled<Void>?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard answer == nil else {
            let error = PlainHTTPError("a request was sent before the last one's answer")
            exchange.answer.fail(error)
            promise?.fail(error)
            return
        }
        answer = exchange.answer
        received.clear()
        let reader = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: .seconds(60)) {
            reader.value.fail(PlainHTTPError("no answer within 60 s"), context: boundContext.value)
        }
        context.writeAndFlush(wrapOutboundOut(exchange.request), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        do {
            guard let response = try PlainHTTPParsing.response(in: received) else { return }
            guard let answer else { throw PlainHTTPError("an answer came with no request") }
            self.answer = nil
            deadline?.cancel()
            answer.succeed(response)
        } catch {
            fail(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(PlainHTTPError("the server closed the connection"), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        deadline?.cancel()
        answer?.fail(error)
        answer = nil
        context.close(promise: nil)
    }
}

/// Reads one answer from the bytes received so far, byte by byte (this runs once per message sent).
enum PlainHTTPParsing {
    static let headLimit = 64 * 1024
    static let bodyLimit = 1 << 20

    /// The answer, `nil` while it is incomplete; throws on what this client does not read (chunked bodies, no
    /// length, a malformed status line, a head or body over the limits, bytes after the answer).
    static func response(in buffer: ByteBuffer) throws -> PlainHTTPResponse? {
        guard let head = try buffer.withUnsafeReadableBytes({ try self.head(of: $0) }) else { return nil }
        let noBody = head.status == 204 || head.status == 304 || (100..<200).contains(head.status)
        guard let bodyLength = noBody ? 0 : head.contentLength else { throw PlainHTTPError("an answer without content-length") }
        guard bodyLength <= bodyLimit else { throw PlainHTTPError("an answer's body passed \(bodyLimit) bytes") }
        let available = buffer.readableBytes - head.length
        guard available >= bodyLength else { return nil }
        guard available == bodyLength else { throw PlainHTTPError("bytes after an answer") }
        let body = buffer.getSlice(at: buffer.readerIndex + head.length, length: bodyLength) ?? ByteBuffer()
        return PlainHTTPResponse(status: head.status, body: body, keepsConnection: head.keepsConnection)
    }

    private struct Head {
        var status: Int
        var contentLength: Int?
        var keepsConnection: Bool
        var length: Int
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// The status line and the headers this client reads, once the head's blank line is in.
    private static func head(of bytes: UnsafeRawBufferPointer) throws -> Head? {
        var end = 0
        var index = 3
        while index < min(bytes.count, headLimit) {
            if bytes[index] == lf, bytes[index - 1] == cr, bytes[index - 2] == lf, bytes[index - 3] == cr {
                end = index + 1
                break
            }
            index += 1
        }
        guard end > 0 else {
            guard bytes.count < headLimit else { throw PlainHTTPError("an answer's head passed \(headLimit) bytes") }
            return nil
        }
        guard end >= 16, matches(bytes, 0..<7, "http/1."), bytes[8] == UInt8(ascii: " "),
            let status = number(bytes, 9..<12)
        else { throw PlainHTTPError("not an HTTP/1.x status line") }
        var head = Head(status: status, contentLength: nil, keepsConnection: bytes[7] == UInt8(ascii: "1"), length: end)
        var lineStart = 12
        while lineStart < end, bytes[lineStart] != lf { lineStart += 1 }
        lineStart += 1
        // Each header line up to the blank one; every line in the head ends in CR LF, the last at `end - 4`.
        while lineStart < end - 2 {
            var lineEnd = lineStart
            while lineEnd < end, bytes[lineEnd] != cr { lineEnd += 1 }
            var colon = lineStart
            while colon < lineEnd, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
            if colon < lineEnd {
                var valueStart = colon + 1
                while valueStart < lineEnd, bytes[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
                var valueEnd = lineEnd
                while valueEnd > valueStart, bytes[valueEnd - 1] == UInt8(ascii: " ") { valueEnd -= 1 }
                let name = lineStart..<colon
                let value = valueStart..<valueEnd
                if matches(bytes, name, "content-length") {
                    guard let length = number(bytes, value) else { throw PlainHTTPError("a content-length that is not a length") }
                    head.contentLength = length
                } else if matches(bytes, name, "transfer-encoding") {
                    throw PlainHTTPError("a transfer-encoded answer (this client reads content-length bodies only)")
                } else if matches(bytes, name, "connection") {
                    if matches(bytes, value, "close") { head.keepsConnection = false }
                    if matches(bytes, value, "keep-alive") { head.keepsConnection = true }
                }
            }
            lineStart = lineEnd + 2
        }
        return head
    }

    /// Whether `bytes[range]` is `text` (lowercase), ASCII letters in either case.
    private static func matches(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for offset in 0..<range.count {
            let byte = bytes[range.lowerBound + offset]
            let lowered = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
            guard lowered == expected[offset] else { return false }
        }
        return true
    }

    /// The decimal number of 1 to 9 digits in `bytes[range]`.
    private static func number(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard (1...9).contains(range.count) else { return nil }
        var value = 0
        for index in range {
            let byte = bytes[index]
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
