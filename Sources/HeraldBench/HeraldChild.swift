import AsyncHTTPClient
import Foundation
import Synchronization

/// A `herald serve` child process on a fresh temporary database, as the benchmark measures it: its own process, so
/// its memory is its own.
final class HeraldChild: @unchecked Sendable {
    // Mutated only by the benchmark's single sequential flow.
    let directory: String
    let port: Int
    let executable: String
    private var process: Process?

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var database: String { "sqlite:\(directory)/bench.db" }

    init(executable: String, port: Int) throws {
        self.executable = executable
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Starts `herald serve` with `role` and extra environment, and waits until it answers.
    func start(role: String = "all", environment: [String: String] = [:]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--database", database, "--role", role]
        var env = ProcessInfo.processInfo.environment
        env["HERALD_LOG_LEVEL"] = "error"
        env["HERALD_ALLOWED_SUBNETS"] = "127.0.0.0/8"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        guard role != "worker" else { return }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        for _ in 0..<300 {
            var request = HTTPClientRequest(url: baseURL + "/api/v1/health/ping")
            request.method = .GET
            if let response = try? await client.execute(request, timeout: .seconds(1)), response.status == .noContent {
                try await client.shutdown()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await client.shutdown()
        throw BenchError("herald serve did not start on port \(port)")
    }

    /// An org token from `herald token create` on the same database.
    func token() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["token", "create", "--database", database]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The process's peak resident memory so far (`VmHWM`), in bytes.
    func peakRSS() -> Int? {
        guard let pid = process?.processIdentifier,
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
    }

    /// Stops it with SIGTERM and waits.
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A value shared by the load tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<T>(_ body: (inout sending Value) throws -> sending T) rethrows -> T {
        try mutex.withLock(body)
    }
}
