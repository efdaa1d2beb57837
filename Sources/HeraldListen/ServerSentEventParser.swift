/// One event of a `text/event-stream`.
public struct ServerSentEvent: Sendable, Hashable {
    public var id: String?
    public var event: String?
    public var data: String
}

/// Splits a `text/event-stream` into events as its bytes arrive (lines end with LF or CRLF; comment lines start
/// with `:`; `data` lines of one event are joined with LF).
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var id: String?
    private var event: String?
    private var data: [String] = []

    public init() {}

    /// Feeds bytes; returns the events they completed.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            guard byte == UInt8(ascii: "\n") else {
                line.append(byte)
                continue
            }
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if let event = take(String(decoding: line, as: UTF8.self)) { events.append(event) }
            line.removeAll(keepingCapacity: true)
        }
        return events
    }

    private mutating func take(_ text: String) -> ServerSentEvent? {
        if text.isEmpty {
            defer { (id, event, data) = (nil, nil, []) }
            guard !data.isEmpty else { return nil }
            return ServerSentEvent(id: id, event: event, data: data.joined(separator: "\n"))
        }
        if text.hasPrefix(":") { return nil }
        let (field, value) =
            text.firstIndex(of: ":").map { colon in
                // One space after the colon is part of the syntax; any further ones are the value's.
                (String(text[..<colon]), String(text[text.index(after: colon)...].dropFirst(text[text.index(after: colon)...].first == " " ? 1 : 0)))
            } ?? (text, "")
        switch field {
        case "id": id = value
        case "event": event = value
        case "data": data.append(value)
        default: break
        }
        return nil
    }
}
