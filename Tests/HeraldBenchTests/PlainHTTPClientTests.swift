import NIOCore
import NIOPosix
import Testing

@testable import HeraldBench

/// The bench's own HTTP/1.1 client: what it reads of an answer, and a real exchange with the bench's receiver.
@Suite(.timeLimit(.minutes(1))) struct PlainHTTPClientTests {
    private func parse(_ text: String) throws -> PlainHTTPResponse? {
        try PlainHTTPParsing.response(in: ByteBuffer(string: text))
    }

    @Test func readsStatusBodyAndKeepAlive() throws {
        let text = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"id\":\"m\"}\n"
        let response = try #require(try parse(text))
        #expect(response.status == 202)
        #expect(String(buffer: response.body) == "{\"id\":\"m\"}\n")
        #expect(response.keepsConnection)
        #expect(LoadGenerator.id(in: response.body) == "m")
    }

    @Test func waitsForTheWholeHeadAndBody() throws {
        let text = "HTTP/1.1 202 Accepted\r\ncontent-length: 5\r\n\r\nhello"
        for cut in [0, 10, text.utf8.count - 8, text.utf8.count - 1] {
            #expect(try parse(String(text.utf8.prefix(cut))!) == nil, "cut at \(cut)")
        }
        #expect(try parse(text)?.status == 202)
    }

    @Test func answersWithoutABody() throws {
        let response = try #require(try parse("HTTP/1.1 204 No Content\r\ndate: x\r\n\r\n"))
        #expect(response.status == 204)
        #expect(response.body.readableBytes == 0)
    }

    @Test func closingAnswers() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 0\r\n\r\n")?.keepsConnection == false)
        #expect(try parse("HTTP/1.1 200 OK\r\nconnection: keep-alive,\tClose\r\ncontent-length: 0\r\n\r\n")?.keepsConnection == false)
        #expect(try parse("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n")?.keepsConnection == false)
        #expect(try parse("HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n")?.keepsConnection == true)
    }

    @Test func refusesWhatItDoesNotRead() {
        let refused = [
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nserver: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 99999999999\r\n\r\n",
            "SMTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 2x0 OK\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nabc",
            "HTTP/1.1 2000 OK\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
        ]
        for text in refused {
            #expect(throws: PlainHTTPError.self, "\(text.debugDescription)") { try parse(text) }
        }
        #expect(throws: PlainHTTPError.self) { try parse("HTTP/1.1 200 OK\r\n" + String(repeating: "x", count: 70_000)) }
    }

    @Test func sendsThroughAFewConnectionsToARealServer() async throws {
        let receiver = BenchReceiver()
        try await receiver.run { base in
            let port = try #require(Int(base.split(separator: ":").last ?? ""))
            let client = PlainHTTPClient(host: "127.0.0.1", port: port, maxConnections: 3)
            defer { client.shutdown() }
            let body = "{}"
            let request = "POST /plain HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)"
            // More senders than connections: the others wait for one, none fails.
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var statuses: [Int] = []
                        for _ in 0..<25 { statuses.append(try await client.send(ByteBuffer(string: request)).status) }
                        return statuses
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 204 })
            #expect(receiver.count("/plain") == 200)
        }
    }

    @Test func aClosedServerFailsTheRequest() async throws {
        let client = PlainHTTPClient(host: "127.0.0.1", port: 1, maxConnections: 1)
        await #expect(throws: (any Error).self) { try await client.send(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")) }
        // The place of the connection that never opened is given back.
        await #expect(throws: (any Error).self) { try await client.send(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")) }
    }
}

/// A server that answers every request's first bytes as `answer` says and then closes: what Herald does not do, for the
/// client's error paths.
private final class ClosingServerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let answer: String?

    init(answer: String?) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let answer else {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(NIOAny(ByteBuffer(string: answer))).whenComplete { _ in }
        context.close(promise: nil)
    }
}

extension PlainHTTPClientTests {
    static func withClosingServer(answer: String?, _ body: (Int) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ClosingServerHandler(answer: answer)) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = try #require(server.localAddress?.port)
        do {
            try await body(port)
        } catch {
            try? await server.close()
            throw error
        }
        try await server.close()
    }

    static let request = ByteBuffer(string: "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n")

    /// `connection: close` answers: each is read, its connection not kept, the next request opens another.
    @Test func anAnswerThatClosesIsReadAndTheNextOpensAnew() async throws {
        try await Self.withClosingServer(answer: "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n") { port in
            let client = PlainHTTPClient(host: "127.0.0.1", port: port, maxConnections: 1)
            defer { client.shutdown() }
            for _ in 0..<3 {
                let response = try await client.send(Self.request)
                #expect(response.status == 204)
                #expect(!response.keepsConnection)
            }
        }
    }

    /// A connection closed before its answer fails that request only, and gives its place back.
    @Test func aConnectionClosedWithoutAnAnswerFailsItsRequest() async throws {
        try await Self.withClosingServer(answer: nil) { port in
            let client = PlainHTTPClient(host: "127.0.0.1", port: port, maxConnections: 1)
            defer { client.shutdown() }
            for _ in 0..<3 {
                await #expect(throws: (any Error).self) { try await client.send(Self.request) }
            }
        }
    }

    @Test func aShutDownClientSendsNothing() async throws {
        let receiver = BenchReceiver()
        try await receiver.run { base in
            let port = try #require(Int(base.split(separator: ":").last ?? ""))
            let client = PlainHTTPClient(host: "127.0.0.1", port: port, maxConnections: 1)
            let request = ByteBuffer(string: "POST /plain HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n")
            #expect(try await client.send(request).status == 204)
            client.shutdown()
            await #expect(throws: PlainHTTPError.self) { try await client.send(request) }
        }
    }
}
