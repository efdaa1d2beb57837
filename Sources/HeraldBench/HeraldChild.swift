import AsyncHTTPClient
import Foundation
import Synchronization

/// A `herald serve` child process, as the benchmark measures it: its own process, so its memory is its own. By
/// default on a fresh temporary SQLite file; or on a shared PostgreSQL database with the secrets every instance
/// sharing it must have.
final class HeraldChild: @unchecked Sendable {
    // Mutated only by the benchmark's single sequential flow.
    let directory: String
    let port: Int
    let executable: String
    let database: String
    /// Environment for every command run against this database.
    let baseEnvironment: [String: String]
    private var process: Process?

    var host: String { "127.0.0.1" }
    var baseURL: String { "http://\(host):\(port)" }

    init(executable: String, port: Int, shared: SharedDatabase? = nil) throws {
        self.executable = executable
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        database = shared?.url ?? "sqlite:\(directory)/bench.db"
        var environment = ProcessInfo.processInfo.environment
        environment["HERALD_LOG_LEVEL"] = "error"
        environment["HERALD_ALLOWED_SUBNETS"] = "127.0.0.0/8"
        // Most scenarios measure one tenant (the `bench` application) at full speed: its message rate is not limited
        // (the noisy-tenant scenario sets Herald's default again).
        environment["HERALD_MESSAGE_RATE_PER_APP"] = environment["HERALD_MESSAGE_RATE_PER_APP"] ?? "0"
        for (key, value) in shared?.environment ?? [:] { environment[key] = value }
        baseEnvironment = environment
    }

    /// Starts `herald serve` with `role` and extra environment, and waits until it answers.
    func start(role: String = "all", environment: [String: String] = [:]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--database", database, "--role", role]
        var env = baseEnvironment
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
        process.environment = baseEnvironment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The database's size on disk: the SQLite file and its write-ahead log, or PostgreSQL's `pg_database_size`.
    func databaseBytes() throws -> Int {
        if database.hasPrefix("sqlite:") {
            let path = String(database.dropFirst("sqlite:".count))
            return [path, path + "-wal"].reduce(0) { total, file in
                total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
            }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-A", "-t", database, "-c", "SELECT pg_database_size(current_database())"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0, let bytes = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BenchError("psql could not read the database's size")
        }
        return bytes
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

/// A fresh PostgreSQL database that several Herald instances share, with the secrets they must share too.
struct SharedDatabase: Sendable {
    var url: String
    var environment: [String: String]
    var serverURL: String
    var name: String

    /// Creates an empty database on the server of `serverURL` with `psql`.
    static func create(serverURL: String) throws -> SharedDatabase {
        guard var components = URLComponents(string: serverURL), components.scheme?.hasPrefix("postgres") == true else {
            throw BenchError("--postgres must be a postgres://USER@HOST:PORT/DATABASE URL")
        }
        let name = "herald_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        guard try psql(serverURL, "CREATE DATABASE \(name)") else { throw BenchError("psql could not create a database on \(serverURL)") }
        components.path = "/" + name
        func key() -> String { Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() }
        return SharedDatabase(
            url: components.string ?? serverURL,
            environment: ["HERALD_JWT_SECRET": key(), "HERALD_MAIN_KEY": key()],
            serverURL: serverURL,
            name: name
        )
    }

    /// Drops the database once its run is over (its instances stopped), so that what a scenario left — 200,000 rows
    /// of a dead backlog, say — is not vacuumed by autovacuum while a later run is measured, nor kept on disk;
    /// whether it is gone.
    func drop() -> Bool {
        (try? psql(serverURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")) == true
    }
}

extension HeraldChild {
    /// `VACUUM ANALYZE` of its PostgreSQL database with `psql` (nothing on SQLite): what autovacuum does within a
    /// minute or two of a bulk insert, done now so that it does not fall into a measured phase.
    func vacuumDatabase() throws {
        guard database.hasPrefix("postgres") else { return }
        guard try psql(database, "VACUUM ANALYZE") else { throw BenchError("psql could not vacuum \(database)") }
    }
}

/// Runs one SQL command with `psql` against `url`; whether it succeeded.
func psql(_ url: String, _ command: String) throws -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["psql", "-X", "-q", url, "-c", command]
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus == 0
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
