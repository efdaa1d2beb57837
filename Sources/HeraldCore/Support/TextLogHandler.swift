import Logging

/// Text logs as swift-log's `StreamLogHandler` writes them, with the logger's metadata kept as it is set and rendered
/// only when a line is written. `StreamLogHandler` renders its whole metadata each time a key is set, and every request
/// sets keys on its logger (the request id, Hummingbird's own) while almost none writes a line: at thousands of requests
/// a second that rendering was 2–3 % of Herald's CPU for nothing. (One difference: a `.stringConvertible` value shows
/// as it is when the line is written, not when it was set; Herald sets none.)
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private var stream: StreamLogHandler

    /// A handler writing to standard error.
    public init(label: String) {
        self.stream = .standardError(label: label, metadataProvider: nil)
        self.metadataProvider = LoggingSystem.metadataProvider
    }

    /// A handler writing to `stream` (tests).
    public init(label: String, stream: any TextOutputStream & Sendable, metadataProvider: Logger.MetadataProvider?) {
        self.stream = StreamLogHandler(label: label, stream: stream, metadataProvider: nil)
        self.metadataProvider = metadataProvider
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The line's metadata, merged as `StreamLogHandler` merges it (the provider's over the logger's, the call's over
    /// both), handed to the stream as the call's own.
    public func log(event: LogEvent) {
        var event = event
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata, !explicit.isEmpty { merged.merge(explicit) { _, new in new } }
        event.metadata = merged
        stream.log(event: event)
    }
}
