import Foundation

/// A real `herald serve` process on a fresh SQLite file and a port of its choosing, for tests that talk to Herald
/// only over HTTP. The binary is the one this build made (beside the test bundle), or `HERALD_BIN`.
public final class ServedHerald: Sendable {
    public let baseURL: URL
    /// An org token from `herald token create` on the same database.
    public let token: String
    private let process: Process
    private let directory: TemporaryDirectory

    /// Starts `herald serve` (delivering to loopback receivers) and waits until it listens.
    public init(environment extra: [String: String] = [:]) async throws {
        let executable = Self.executable
        let directory = try TemporaryDirectory()
        let database = "sqlite:" + directory.file("served.db")
        var environment = ProcessInfo.processInfo.environment
        environment["HERALD_ALLOWED_SUBNETS"] = "127.0.0.0/8"
        environment["HERALD_LOG_LEVEL"] = "notice"
        for (key, value) in extra { environment[key] = value }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--database", database]
        process.environment = environment
        // A file, not a pipe: nobody reads the log after start-up, and a full pipe would stop the server.
        let logPath = directory.file("serve.log")
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
            throw ServedHeraldError(log: "cannot create \(logPath)")
        }
        process.standardError = log
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try log.close()
        // The start-up line names the port bound.
        let port = try await Self.port(announcedIn: logPath, process: process)

        let tokenProcess = Process()
        tokenProcess.executableURL = URL(fileURLWithPath: executable)
        tokenProcess.arguments = ["token", "create", "--database", database]
        tokenProcess.environment = environment
        let output = Pipe()
        tokenProcess.standardOutput = output
        try tokenProcess.run()
        let token = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tokenProcess.waitUntilExit()

        self.baseURL = URL(string: "http://127.0.0.1:\(port)")!
        self.token = token.trimmingCharacters(in: .whitespacesAndNewlines)
        self.process = process
        self.directory = directory
    }

    /// Stops the server (SIGTERM, a graceful shutdown) and removes its files.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        directory.remove()
    }

    static var executable: String {
        if let configured = ProcessInfo.processInfo.environment["HERALD_BIN"], !configured.isEmpty { return configured }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("herald").path
    }

    private static func port(announcedIn logPath: String, process: Process) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        var text = ""
        while ContinuousClock.now < deadline, process.isRunning {
            text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "Herald listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), text[range.upperBound...].dropFirst(digits.count).first == "," { return port }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServedHeraldError(log: (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? text)
    }
}

/// `herald serve` did not announce that it listens.
public struct ServedHeraldError: Error, CustomStringConvertible {
    public let log: String
    public var description: String { "herald serve did not start; its log:\n\(log)" }
}
