import NIOCore
import NIOPosix
import Synchronization

/// The load's own HTTP/1.1 client for the requests it sends by the thousand (messages): keep-alive connections to one
/// server, each carrying one request at a time, each request's bytes written by the caller in one buffer.
/// AsyncHTTPClient, which sent them before, spent 107–133 µs of CPU per request on this machine — about as much as the
/// Herald it measures, on the same two cores; the load's cost is the harness's, not Herald's, and this client's is about
/// a third of it (BENCHMARKS.md, session 56). It understands only what Herald answers: a status line, headers and a
/// body of `content-length` bytes (a chunked or interim answer fails the request).
final class PlainHTTPClient: Sendable {
    /// A connection idle this long is closed rather than reused: Herald closes idle ones after 75 s, and a request
    /// sent as it does would fail.
    static let idleLimit = Duration.seconds(50)

    private enum Lease {
        case reuse(any Channel)
        case open
        case shutDown
    }

    private struct Pool {
        var idle: [(channel: any Channel, since: ContinuousClock.Instant)] = []
        var open = 0
        var waiting: [CheckedContinuation<Lease, Never>] = []
        var shutDown = false
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

    /// Sends `request` (a whole HTTP/1.1 request, head and body) on a free connection and returns the answer; a
    /// cancelled task's request fails at once (its connection closed), as one to a client shut down does.
    func send(_ request: ByteBuffer) async throws -> PlainHTTPResponse {
        try Task.checkCancellation()
        let channel = try await acquire()
        do {
            let response = try await withTaskCancellationHandler {
                try await Self.exchange(request, on: channel)
            } onCancel: {
                channel.close(promise: nil)
            }
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

    /// Closes every idle connection, and those in use as their requests end; later requests fail.
    func shutdown() {
        let (idle, waiting) = pool.withLock { pool in
            pool.shutDown = true
            defer {
                pool.open -= pool.idle.count
                pool.idle = []
                pool.waiting = []
            }
            return (pool.idle.map(\.channel), pool.waiting)
        }
        for channel in idle { channel.close(promise: nil) }
        for waiter in waiting { waiter.resume(returning: .shutDown) }
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
                guard !pool.shutDown else { return .shutDown }
                let now = ContinuousClock.now
                while let (channel, since) = pool.idle.popLast() {
                    if channel.isActive, now - since < Self.idleLimit { return .reuse(channel) }
                    channel.close(promise: nil)
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
        case .shutDown:
            throw PlainHTTPError("the client was shut down")
        case .reuse(let channel):
            return channel
        case .open:
            do {
                // Nagle's algorithm is off by default in NIO's client bootstrap.
                return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(PlainHTTPExchangeHandler()) }
                    }
                    .connect(host: host, port: port)
                    .get()
            } catch {
                release(nil)
                throw error
            }
        }
    }

    /// Gives back a connection, or with `nil` the place of one that closed; a waiting caller gets it first (a new
    /// connection in its place if this one closed meanwhile).
    private func release(_ channel: (any Channel)?) {
        let reusable = channel.flatMap { $0.isActive ? $0 : nil }
        if let channel, reusable == nil { channel.close(promise: nil) }
        let (handOver, closing) = pool.withLock { pool -> ((CheckedContinuation<Lease, Never>, Lease)?, (any Channel)?) in
            if pool.shutDown {
                pool.open -= 1
                return (nil, reusable)
            }
            guard pool.waiting.isEmpty else {
                let waiter = pool.waiting.removeFirst()
                return ((waiter, reusable.map { .reuse($0) } ?? .open), nil)
            }
            if let reusable {
                pool.idle.append((reusable, ContinuousClock.now))
            } else {
                pool.open -= 1
            }
            return (nil, nil)
        }
        closing?.close(promise: nil)
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
private final class PlainHTTPExchangeHandler: ChannelDuplexHandler {
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
            received.clear()
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

    /// A request written as the connection closed must not wait for its deadline.
    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        answer?.fail(PlainHTTPError("the connection closed"))
        answer = nil
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        deadline?.cancel()
        answer?.fail(error)
        answer = nil
        context.close(promise: nil)
    }
}

/// Reads one answer from the bytes received so far, byte by byte (on each read of an exchange, from the start).
enum PlainHTTPParsing {
    static let headLimit = 64 * 1024
    static let bodyLimit = 1 << 20

    /// The answer, `nil` while it is incomplete; throws on what this client does not read (chunked bodies, no
    /// length, a malformed status line, a head or body over the limits, bytes after the answer).
    static func response(in buffer: ByteBuffer) throws -> PlainHTTPResponse? {
        guard let head = try buffer.withUnsafeReadableBytes({ try self.head(of: $0) }) else { return nil }
        // Herald sends none (the bench never asks `Expect: 100-continue`); reading past one is not worth the code.
        guard head.status >= 200 else { throw PlainHTTPError("an interim \(head.status) answer") }
        let noBody = head.status == 204 || head.status == 304
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
            let status = number(bytes, 9..<12), bytes[12] == UInt8(ascii: " ") || bytes[12] == cr
        else { throw PlainHTTPError("not an HTTP/1.x status line") }
        var head = Head(status: status, contentLength: nil, keepsConnection: false, length: end)
        var closes = false
        var keepsAlive = bytes[7] == UInt8(ascii: "1")
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
                let value = trimmed(bytes, colon + 1..<lineEnd)
                let name = lineStart..<colon
                if matches(bytes, name, "content-length") {
                    guard let length = number(bytes, value), head.contentLength.map({ $0 == length }) ?? true else {
                        throw PlainHTTPError("a content-length that is not one length")
                    }
                    head.contentLength = length
                } else if matches(bytes, name, "transfer-encoding") {
                    throw PlainHTTPError("a transfer-encoded answer (this client reads content-length bodies only)")
                } else if matches(bytes, name, "connection") {
                    // A list of options, in one header or several.
                    var tokenStart = value.lowerBound
                    while tokenStart < value.upperBound {
                        var tokenEnd = tokenStart
                        while tokenEnd < value.upperBound, bytes[tokenEnd] != UInt8(ascii: ",") { tokenEnd += 1 }
                        let token = trimmed(bytes, tokenStart..<tokenEnd)
                        if matches(bytes, token, "close") { closes = true }
                        if matches(bytes, token, "keep-alive") { keepsAlive = true }
                        tokenStart = tokenEnd + 1
                    }
                }
            }
            lineStart = lineEnd + 2
        }
        head.keepsConnection = keepsAlive && !closes
        return head
    }

    /// `range` without the spaces and tabs at either end.
    private static func trimmed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        return start..<end
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
