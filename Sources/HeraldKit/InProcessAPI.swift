import Foundation
import HTTPTypes
import HeraldAPI
import HeraldCore
import Hummingbird
import Logging
import Synchronization

/// Herald's REST API called in process: a request goes through the same router, middleware and handlers as over
/// HTTP, acting for the `Herald`'s organisation, without a socket. The typed calls (`messages`, `applications`, …)
/// are built on it; `send` reaches any other route. Streaming routes (`/live`, feed streams) are for HTTP only.
public struct InProcessAPI: Sendable {
    let herald: Herald

    /// Sends `method path` (a path under `/api/v1`, such as `/app?limit=10`) with an optional JSON body, waiting
    /// until Herald is ready. Answers of any status are returned; only a streaming answer throws.
    public func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        json body: [UInt8]? = nil,
        headers extraHeaders: HTTPFields = [:]
    ) async throws -> InProcessResponse {
        // Logging out would revoke the token every Swift call uses, for the life of the process.
        if path.hasPrefix("/auth/logout") { throw HeraldKitError.refusedRoute(path) }
        let running = try await herald.runningAPI()
        var headers = extraHeaders
        headers[.authorization] = running.authorization
        if body != nil { headers[.contentType] = "application/json" }
        let head = HTTPRequest(
            method: method,
            scheme: "http",
            authority: "herald.in-process",
            path: HeraldRouter.apiPrefix + path,
            headerFields: headers
        )
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body ?? [])))
        let response = try await running.responder.respond(
            to: request,
            context: HeraldRequestContext(hostedBy: InProcessSource(logger: herald.logger))
        )
        if response.headers[.contentType]?.hasPrefix("text/event-stream") == true {
            throw HeraldKitError.streamingRoute(path)
        }
        let sink = BodySink()
        try await response.body.write(CollectingWriter(sink: sink))
        return InProcessResponse(status: response.status, headers: response.headers, body: sink.bytes)
    }

    /// Sends a request and decodes a 2xx answer as `T`; any other answer throws `HeraldAPIError`.
    func call<T: Decodable>(
        _ method: HTTPRequest.Method,
        _ path: String,
        json body: [UInt8]? = nil,
        headers: HTTPFields = [:],
        as type: T.Type
    ) async throws -> T {
        let response = try await send(method, path, json: body, headers: headers)
        try response.checkSuccess()
        return try HeraldJSON.decoder.decode(T.self, from: Data(response.body))
    }

    /// Sends a request whose 2xx answer carries nothing needed (e.g. 204); any other answer throws.
    func callIgnoringBody(_ method: HTTPRequest.Method, _ path: String, json body: [UInt8]? = nil) async throws {
        try await send(method, path, json: body).checkSuccess()
    }
}

/// An answer of the in-process API.
public struct InProcessResponse: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: [UInt8]

    /// Throws the answer's error when it is not a 2xx.
    public func checkSuccess() throws {
        guard status.kind == .successful else { throw HeraldAPIError(status: status.code, body: body) }
    }
}

/// The request context's source for in-process calls: only a logger, as there is no channel.
struct InProcessSource: RequestContextSource {
    let logger: Logger
}

/// Collects an answer's body; the writer is consumed by `write`, so the bytes are kept in a shared box.
final class BodySink: Sendable {
    private let buffer = Mutex(ByteBuffer())
    func append(_ part: ByteBuffer) { buffer.withLock { _ = $0.writeImmutableBuffer(part) } }
    var bytes: [UInt8] { buffer.withLock { Array($0.readableBytesView) } }
}

struct CollectingWriter: ResponseBodyWriter {
    let sink: BodySink
    mutating func write(_ buffer: ByteBuffer) async throws { sink.append(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Dates as the API writes them (RFC 3339).
enum HeraldJSON {
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let milliseconds = RFC3339.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 date: \(text)"))
            }
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        }
        return decoder
    }()

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}
