import Foundation
import Hummingbird

/// Builds JSON responses. Every body Herald sends is JSON with `content-type: application/json`.
enum JSONResponse {
    static func make<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) throws -> Response {
        make(bytes: try encoded(value), status: status)
    }

    static func encoded<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func make(_ value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
        make(bytes: bytes(value), status: status)
    }

    static func bytes(_ value: some JSONWritable) -> [UInt8] {
        var writer = JSONWriter()
        value.write(to: &writer)
        return writer.bytes
    }

    static func make(bytes: some Sequence<UInt8>, status: HTTPResponse.Status) -> Response {
        let buffer = ByteBuffer(bytes: bytes)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer)
        )
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }
}

/// `{}`: the body of resend and similar accepted-for-later responses.
struct EmptyResponse: Encodable {}
