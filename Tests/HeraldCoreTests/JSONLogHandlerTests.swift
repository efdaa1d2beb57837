import Foundation
import HeraldCore
import Logging
import Synchronization
import Testing

@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let captured = Mutex<[String]>([])
        var all: [String] { captured.withLock { $0 } }
    }

    static func logger(_ lines: Lines, level: Logger.Level = .debug) -> Logger {
        var handler = JSONLogHandler(label: "herald.test", sink: JSONLogSink { line in lines.captured.withLock { $0.append(line) } })
        handler.logLevel = level
        return Logger(label: "herald.test") { _ in handler }
    }

    static func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && line.dropLast().firstIndex(of: "\n") == nil)
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(parsed as? [String: Any])
    }

    @Test func everyLineIsOneJSONObjectWithStableKeys() throws {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger[metadataKey: "herald.request_id"] = "req_1"
        logger.notice(
            "delivery \"attempt\"\nsecond line \u{1} \u{2028} \u{85} \u{7F} ✓",
            metadata: [
                "herald.msg.id": "msg_1", "herald.endpoint.id": "ep_1", "herald.app.id": "app_1",
                "herald.attempt.id": "atmpt_1", "hb.request.id": "7", "herald.level": "shadow",
                "herald.list": ["a", .dictionary(["b": "c"])],
            ]
        )
        let object = try Self.object(try #require(lines.all.first))
        #expect(object["message"] as? String == "delivery \"attempt\"\nsecond line \u{1} \u{2028} \u{85} \u{7F} ✓")
        // Nothing a line reader could split on is left raw.
        #expect(!(lines.all.first ?? "").dropLast().contains { $0.isNewline })
        #expect(object["level"] as? String == "notice" && object["logger"] as? String == "herald.test")
        #expect(object["request_id"] as? String == "req_1" && object["msg_id"] as? String == "msg_1")
        #expect(object["endpoint_id"] as? String == "ep_1" && object["app_id"] as? String == "app_1")
        #expect(object["attempt_id"] as? String == "atmpt_1" && object["hb_request_id"] as? String == "7")
        #expect(object["meta_level"] as? String == "shadow")
        #expect((object["list"] as? [Any])?.count == 2)
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.count == 24 && timestamp.hasSuffix("Z") && timestamp.contains("T"))
    }

    @Test func valuesUnderSecretNamesAreNeverWritten() throws {
        let lines = Lines()
        let logger = Self.logger(lines)
        logger.info(
            "settings",
            metadata: [
                "herald.jwt_secret": "s3cret-value", "herald.db.password": "pa55", "authorization": "Bearer tok",
                "herald.nested": .dictionary(["api_key": "k3y"]),
            ]
        )
        let line = try #require(lines.all.first)
        for secret in ["s3cret-value", "pa55", "Bearer tok", "k3y"] { #expect(!line.contains(secret)) }
        #expect(try Self.object(line)["jwt_secret"] as? String == "[redacted]")
    }

    @Test func theLevelFilters() {
        let lines = Lines()
        let logger = Self.logger(lines, level: .warning)
        logger.info("quiet")
        logger.error("loud")
        #expect(lines.all.count == 1 && lines.all[0].contains("loud"))
    }
}
