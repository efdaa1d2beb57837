import Foundation
import Logging
import Synchronization

/// Logs one JSON object per line (`HERALD_LOG_FORMAT=json`), for log pipelines. Stable keys: `timestamp` (RFC 3339,
/// UTC, milliseconds), `level`, `message`, `logger`, then the metadata with Herald's `herald.` prefix dropped and dots
/// made underscores — `request_id`, `app_id`, `endpoint_id`, `msg_id`, `attempt_id`, `error`… A metadata key that
/// names a secret (secret, password, token, authorization, key) has its value replaced: secrets are never logged.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: JSONLogSink

    /// A handler writing to standard error.
    public init(label: String) {
        self.init(label: label, sink: .standardError)
    }

    /// A handler writing each line to `sink` (tests).
    public init(label: String, sink: JSONLogSink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level
        let message = event.message
        let explicit = event.metadata
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit { merged.merge(explicit) { _, new in new } }
        var text = "{\"timestamp\":\"\(Self.timestamp())\",\"level\":\"\(level.rawValue)\",\"message\":"
        Self.appendString(message.description, to: &text)
        text += ",\"logger\":"
        Self.appendString(label, to: &text)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            let name = Self.fieldName(key)
            text += ","
            Self.appendString(name, to: &text)
            text += ":"
            if Self.namesASecret(name) {
                text += "\"[redacted]\""
            } else {
                Self.append(value, to: &text)
            }
        }
        if let error = event.error, merged["herald.error"] == nil, merged["error"] == nil {
            text += ",\"error\":"
            Self.appendString(String(reflecting: error), to: &text)
        }
        text += "}\n"
        sink.write(text)
    }

    static let reservedNames: Set<String> = ["timestamp", "level", "message", "logger"]

    /// `herald.msg.id` → `msg_id`; other libraries' keys keep their prefix (`hb.request.id` → `hb_request_id`); a
    /// key that would shadow a fixed field gets `meta_` before it.
    static func fieldName(_ key: String) -> String {
        var name = key.hasPrefix("herald.") ? String(key.dropFirst("herald.".count)) : key
        name = name.replacingOccurrences(of: ".", with: "_")
        return reservedNames.contains(name) ? "meta_" + name : name
    }

    static func namesASecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["secret", "password", "token", "authorization", "key"].contains { lowered.contains($0) }
    }

    private static func append(_ value: Logger.MetadataValue, to text: inout String) {
        switch value {
        case .string(let string): appendString(string, to: &text)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &text)
        case .array(let values):
            text += "["
            for (index, element) in values.enumerated() {
                if index > 0 { text += "," }
                append(element, to: &text)
            }
            text += "]"
        case .dictionary(let dictionary):
            text += "{"
            for (index, entry) in dictionary.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { text += "," }
                appendString(entry.key, to: &text)
                text += ":"
                if namesASecret(entry.key) { text += "\"[redacted]\"" } else { append(entry.value, to: &text) }
            }
            text += "}"
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, so a message never breaks its line.
    static func appendString(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            // Control characters, DEL, the C1 controls (NEL breaks lines for some readers) and the line separators.
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// Now, as `2026-11-30T21:05:03.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let milliseconds = Int32(clamping: now.tv_nsec / 1_000_000)
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))T"
            + "\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2)).\(padded(milliseconds, 3))Z"
    }
}

/// Where JSON log lines go: one whole line per write, lines from concurrent tasks never interleaved.
public final class JSONLogSink: Sendable {
    private let lock = Mutex(())
    private let writeLine: @Sendable (String) -> Void

    public init(_ writeLine: @escaping @Sendable (String) -> Void) {
        self.writeLine = writeLine
    }

    public static let standardError = JSONLogSink { line in
        // A log line that cannot be written (a full disk, a closed pipe) is dropped, never a reason to stop.
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }

    func write(_ line: String) {
        lock.withLock { _ in writeLine(line) }
    }
}
