import AsyncHTTPClient
import Foundation
import Histogram

/// What `herald bench` measures.
public enum BenchScenario: String, CaseIterable, Sendable {
    case ingest, e2e, fanout, backlog, isolation, noisy, retention, throttle, inbound, ordered
}

/// How `herald bench` runs.
public struct BenchOptions: Sendable {
    public var scenarios: [BenchScenario]
    /// Seconds each measured phase lasts.
    public var duration: Double
    /// Deliveries queued for the backlog scenario.
    public var backlogDeliveries: Int
    /// Concurrent clients (and, for the ceiling, concurrent requests).
    public var concurrency: Int
    /// The `herald` binary to start.
    public var executable: String
    /// A PostgreSQL server to run on (a fresh database per scenario) instead of SQLite.
    public var postgresURL: String?
    /// Herald instances sharing the database (PostgreSQL only); the load goes to the first, all of them deliver.
    public var instances: Int
    /// Messages per second offered in the e2e latency phase and the retention soak.
    public var offeredRate: Int
    /// The retention period of the retention soak, in seconds.
    public var retentionSeconds: Int
    /// Deliveries queued, before the isolation scenario measures, for an endpoint that never answers (0: none).
    public var deadBacklog: Int
    /// How many times the isolation scenario measures its baseline and its dead-backlog run, alternately.
    public var rounds: Int
    /// Isolation on PostgreSQL: `VACUUM ANALYZE` after queueing the dead backlog, before measuring.
    public var vacuumFirst: Bool

    public init(
        scenarios: [BenchScenario],
        duration: Double,
        backlogDeliveries: Int,
        concurrency: Int,
        executable: String,
        postgresURL: String? = nil,
        instances: Int = 1,
        offeredRate: Int = 1000,
        retentionSeconds: Int = 60,
        deadBacklog: Int = 0,
        rounds: Int = 1,
        vacuumFirst: Bool = false
    ) {
        self.rounds = rounds
        self.vacuumFirst = vacuumFirst
        self.retentionSeconds = retentionSeconds
        self.deadBacklog = deadBacklog
        self.scenarios = scenarios
        self.duration = duration
        self.backlogDeliveries = backlogDeliveries
        self.concurrency = concurrency
        self.executable = executable
        self.postgresURL = postgresURL
        self.instances = instances
        self.offeredRate = offeredRate
    }
}

/// Runs the scenarios one after another, each against a fresh Herald; prints progress to standard error.
public struct Bench: Sendable {
    let options: BenchOptions
    let receiver = BenchReceiver()

    public init(options: BenchOptions) {
        self.options = options
    }

    public func run() async throws -> [(BenchScenario, [(String, Double)])] {
        try await receiver.run { receiverURL in
            var results: [(BenchScenario, [(String, Double)])] = []
            for scenario in options.scenarios {
                progress("\(scenario.rawValue): starting")
                receiver.reset()
                let figures: [(String, Double)]
                switch scenario {
                case .ingest: figures = try await ingest()
                case .e2e: figures = try await endToEnd(receiverURL)
                case .fanout: figures = try await fanout(receiverURL)
                case .backlog: figures = try await backlog(receiverURL)
                case .isolation: figures = try await isolation(receiverURL)
                case .noisy: figures = try await noisyTenant(receiverURL)
                case .retention: figures = try await retentionSoak(receiverURL)
                case .throttle: figures = try await throttle(receiverURL)
                case .inbound: figures = try await inbound()
                case .ordered: figures = try await ordered(receiverURL)
                }
                progress("\(scenario.rawValue): done")
                results.append((scenario, figures))
            }
            return results
        }
    }

    var duration: Duration { .milliseconds(Int64(options.duration * 1000)) }

    func progress(_ line: String) {
        FileHandle.standardError.write(Data("[bench] \(line)\n".utf8))
    }

    /// A fresh Herald with its own port and database, and a load generator for it.
    func withHerald<T: Sendable>(
        environment: [String: String] = [:],
        _ body: @Sendable (HeraldChild, LoadGenerator) async throws -> T
    ) async throws -> T {
        let shared = try options.postgresURL.map { try SharedDatabase.create(serverURL: $0) }
        defer { if let shared, !shared.drop() { progress("could not drop the bench database \(shared.name); drop it by hand") } }
        let herald = try HeraldChild(executable: options.executable, port: try freePort(), shared: shared)
        try await herald.start(environment: environment)
        var others: [HeraldChild] = []
        let http = LoadGenerator.makeClient(connections: options.concurrency)
        var load: LoadGenerator?
        do {
            for _ in 1..<max(options.instances, 1) {
                let other = try HeraldChild(executable: options.executable, port: try freePort(), shared: shared)
                try await other.start(environment: environment)
                others.append(other)
            }
            let started = LoadGenerator(http: http, host: herald.host, port: herald.port, token: try herald.token(), connections: options.concurrency)
            load = started
            let result = try await body(herald, started)
            try await started.shutdown()
            for child in [herald] + others { child.stop() }
            return result
        } catch {
            if let load { try? await load.shutdown() } else { try? await http.shutdown() }
            for child in [herald] + others { child.stop() }
            throw error
        }
    }

    /// Waits until `condition` holds or `timeout` passes; true if it held.
    func waitUntil(timeout: Duration, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
            }
        }
        guard bound else { throw BenchError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func milliseconds(_ micros: UInt64) -> Double { Double(micros) / 1000 }
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
