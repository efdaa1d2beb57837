import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import HeraldKit

/// A stop that hangs names itself in the log; one that ends in time says nothing.
@Suite struct StopWatchTests {
    /// Keeps every line logged.
    final class Lines: Sendable {
        let value = Mutex<[String]>([])
    }

    struct Recorder: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { lines.value.withLock { $0.append("\(event.level) \(event.message)") } }
    }

    /// Ignores graceful shutdown; ends only when cancelled (or, with `stopsWhenAsked`, as soon as shutdown begins).
    struct Part: Service {
        let stopsWhenAsked: Bool
        func run() async throws {
            if stopsWhenAsked {
                try await gracefulShutdown()
            } else {
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
            }
        }
    }

    /// Runs `part` under a watch of 100 ms, asks it to stop, and returns what was logged: once the group ended (a
    /// part that stops), or once the warning came (waiting up to 10 s; then the part is cancelled).
    static func run(_ part: Part) async throws -> [String] {
        let lines = Lines()
        let recorder = Recorder(lines: lines)
        let watched = StopWatch(service: part, name: "the test part", patience: .milliseconds(100), logger: Logger(label: "t") { _ in recorder })
        let group = ServiceGroup(configuration: .init(services: [watched], logger: Logger(label: "group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(50))
            await group.triggerGracefulShutdown()
            if !part.stopsWhenAsked {
                let deadline = ContinuousClock.now + .seconds(10)
                while lines.value.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                tasks.cancelAll()
            }
            try? await tasks.waitForAll()
        }
        return lines.value.withLock { $0 }
    }

    @Test func aStopThatHangsIsNamed() async throws {
        let lines = try await Self.run(Part(stopsWhenAsked: false))
        #expect(lines.contains { $0.hasPrefix("warning the test part has not stopped") })
    }

    @Test func aStopInTimeSaysNothing() async throws {
        let lines = try await Self.run(Part(stopsWhenAsked: true))
        #expect(lines.isEmpty)
    }
}
