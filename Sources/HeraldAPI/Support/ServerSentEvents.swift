import Foundation
import Hummingbird

/// The wire form of a Server-Sent Event: `id:` (when given), `event:`, one `data:` line of JSON, a blank line.
enum ServerSentEvents {
    static func event<Value: Encodable>(_ name: String, id: String?, _ value: Value) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var buffer = ByteBuffer(string: id.map { "id: \($0)\n" } ?? "")
        buffer.writeString("event: \(name)\ndata: ")
        buffer.writeBytes(try encoder.encode(value))
        buffer.writeString("\n\n")
        return buffer
    }
}
