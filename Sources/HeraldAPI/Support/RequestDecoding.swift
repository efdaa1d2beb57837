import Foundation
import HeraldCore
import Hummingbird
import NIOCore

/// Reads request bodies: bounded in size, decoded leniently (unknown fields ignored), failures as 422 with a `loc`.
enum RequestDecoding {
    /// Collects the body, refusing more than `limit` bytes (checked against `content-length` before reading).
    static func body(of request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw tooLarge(limit)
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        }
    }

    /// Collects the body as `body(of:limit:)` does, within `deadline`: a sender dripping its body in slowly is answered
    /// 408 then, rather than holding its connection and its task for as long as it keeps a byte coming.
    static func body(of request: Request, limit: Int, within deadline: Duration) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body(of: request, limit: limit) }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                throw HeraldError(kind: .requestTimeout, code: "request_timeout", detail: "The request body did not arrive in time")
            }
            return buffer
        }
    }

    /// Refuses a body that is not strict JSON (see `StrictJSON`), with where and why, before anything reads it:
    /// Foundation's decoder accepts trailing commas and leading zeros, and what Herald keeps it sends on as it is.
    static func checkStrict(_ bytes: [UInt8]) throws {
        if let failure = StrictJSON.validate(bytes) {
            throw HeraldError.validation(loc: ["body"], failure.description, type: "value_error.jsondecode")
        }
    }

    /// Decodes a strict JSON body; an empty body counts as `{}` so that routes whose fields are all optional accept none.
    static func decode<Value: Decodable>(_ type: Value.Type, from buffer: ByteBuffer) throws -> Value {
        if buffer.readableBytes > 0 { try checkStrict(Array(buffer.readableBytesView)) }
        return try decodeChecked(type, from: buffer)
    }

    /// Decodes a body already found strict.
    static func decodeChecked<Value: Decodable>(_ type: Value.Type, from buffer: ByteBuffer) throws -> Value {
        let bytes = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(Value.self, from: bytes)
        } catch let error as DecodingError {
            throw HeraldError.validation([issue(for: error)])
        }
    }

    static func tooLarge(_ limit: Int) -> HeraldError {
        HeraldError(kind: .payloadTooLarge, code: "payload_too_large", detail: "Request body is larger than \(limit) bytes")
    }

    /// A validation issue naming the body field a decoding error is about.
    static func issue(for error: DecodingError) -> ValidationIssue {
        func location(_ path: [any CodingKey], _ last: (any CodingKey)? = nil) -> [String] {
            ["body"] + (path + (last.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return ValidationIssue(loc: location(context.codingPath, key), msg: "field required", type: "value_error.missing")
        case .valueNotFound(_, let context):
            return ValidationIssue(loc: location(context.codingPath), msg: "field must not be null", type: "type_error.none.not_allowed")
        case .typeMismatch(let type, let context):
            return ValidationIssue(loc: location(context.codingPath), msg: "expected \(typeName(type))", type: "type_error")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return ValidationIssue(loc: ["body"], msg: "request body is not valid JSON", type: "value_error.jsondecode")
            }
            return ValidationIssue(loc: location(context.codingPath), msg: context.debugDescription, type: "value_error")
        @unknown default:
            return ValidationIssue(loc: ["body"], msg: "invalid request body", type: "value_error")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt16.Type: return "an integer"
        case is Double.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a different type"
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes a PATCH field: absent leaves the value unchanged, `null` clears it, anything else sets it.
    func decodePatch<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Patch<Value> {
        guard contains(key) else { return .unchanged }
        if try decodeNil(forKey: key) { return .clear }
        return .set(try decode(Value.self, forKey: key))
    }
}

/// A field of a PATCH body.
enum Patch<Value> {
    case unchanged
    case clear
    case set(Value)

    /// Applies the patch to an optional field.
    func applied(to current: Value?) -> Value? {
        switch self {
        case .unchanged: return current
        case .clear: return nil
        case .set(let value): return value
        }
    }

    var value: Value? {
        if case .set(let value) = self { return value }
        return nil
    }
}

extension Patch: Sendable where Value: Sendable {}
