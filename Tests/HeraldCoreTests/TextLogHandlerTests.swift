import HeraldCore
import Logging
import Synchronization
import Testing

/// `TextLogHandler` writes what swift-log's `StreamLogHandler` writes, with the same metadata in the same order.
@Suite struct TextLogHandlerTests {
    final class Lines: TextOutputStream, Sendable {
        let captured = Mutex<[String]>([])
        func write(_ string: String) { captured.withLock { $0.append(string) } }
        /// Each line without its timestamp (the first field).
        var withoutTimestamps: [String] { captured.withLock { $0.map { String($0.drop { $0 != " " }) } } }
    }

    static let provider = Logger.MetadataProvider { ["herald.provided": "p", "herald.shadowed": "provider"] }

    /// The same calls through `TextLogHandler` and through a `StreamLogHandler` holding the metadata itself.
    static func lines(provider: Logger.MetadataProvider?, _ log: (inout Logger) -> Void) -> (text: [String], stream: [String]) {
        let text = Lines()
        let stream = Lines()
        var textLogger = Logger(label: "herald.test") { label in
            TextLogHandler(label: label, stream: text, metadataProvider: provider)
        }
        var streamLogger = Logger(label: "herald.test") { label in
            StreamLogHandler(label: label, stream: stream, metadataProvider: provider)
        }
        log(&textLogger)
        log(&streamLogger)
        return (text.withoutTimestamps, stream.withoutTimestamps)
    }

    struct Failure: Error {}

    /// As `herald serve` runs: no metadata provider.
    @Test func writesWhatStreamLogHandlerWritesWithoutAProvider() {
        let (text, stream) = Self.lines(provider: nil) { logger in
            logger.info("nothing at all")
            logger.error("only an error", error: Failure())
            logger[metadataKey: "herald.request_id"] = "req_1"
            logger.info("only the logger's metadata")
            logger.info("and the call's", metadata: ["herald.request_id": "req_2", "herald.extra": "x"])
        }
        #expect(text.count == 4)
        #expect(text == stream)
        #expect(text.first?.hasSuffix("nothing at all\n") == true && text.first?.contains("=") == false)
        #expect(text.dropFirst(2).first?.contains(" herald.request_id=req_1 ") == true)
        #expect(text.last?.contains(" herald.extra=x herald.request_id=req_2 ") == true)
    }

    @Test func writesWhatStreamLogHandlerWrites() {
        let (text, stream) = Self.lines(provider: Self.provider) { logger in
            logger.logLevel = .debug
            logger.debug("no metadata yet")
            logger[metadataKey: "herald.request_id"] = "req_1"
            logger[metadataKey: "herald.shadowed"] = "logger"
            logger[metadataKey: "herald.explicit"] = "logger"
            logger.info("with metadata", metadata: ["herald.explicit": "call", "herald.extra": .array(["a", "b"])])
            logger.error("with an error", error: Failure())
            logger.trace("below the level")
        }
        #expect(text.count == 3)
        #expect(text == stream)
        #expect(text.dropFirst().first?.contains("herald.explicit=call herald.extra=[\"a\", \"b\"] herald.provided=p") == true)
        #expect(text.dropFirst().first?.contains("herald.request_id=req_1 herald.shadowed=provider") == true)
    }
}
