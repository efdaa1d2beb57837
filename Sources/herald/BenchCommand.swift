import ArgumentParser
import Foundation
import HeraldBench

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Herald on this machine: ingest, end-to-end delivery against the raw ceiling, fan-out, backlog, isolation."
    )

    @Option(help: "all, or one of: \(BenchScenario.allCases.map(\.rawValue).joined(separator: ", ")).")
    var scenario: String = "all"

    @Option(help: "Seconds each measured phase lasts.")
    var duration: Double = 10

    @Option(help: "Deliveries queued for the backlog scenario.")
    var backlogDeliveries: Int = 1_000_000

    @Option(help: "Concurrent clients, and concurrent requests for the raw ceiling.")
    var concurrency: Int = 64

    @Option(help: "Run on this PostgreSQL server (a fresh database per scenario, created with psql) instead of SQLite.")
    var postgres: String?

    @Option(help: "Herald instances sharing the PostgreSQL database; the load goes to the first, all deliver.")
    var instances: Int = 1

    @Option(help: "Messages per second offered in the e2e latency phase and the retention soak.")
    var rate: Int = 1000

    @Option(help: "The retention soak's HERALD_RETENTION, in seconds (its --duration should be several times longer).")
    var retention: Int = 60

    @Option(help: "Isolation: also measure with this many deliveries queued for an endpoint that never answers.")
    var deadBacklog: Int = 0

    @Option(
        help:
            "Isolation with --dead-backlog: measure the baseline and the backlog run alternately this many times; the ratio reported is the median round's."
    )
    var rounds: Int = 1

    @Flag(
        help:
            "Isolation with --dead-backlog on --postgres: VACUUM ANALYZE the database after queueing, before measuring (otherwise autovacuum of the fresh rows tends to run during the measurement)."
    )
    var vacuumFirst = false

    @Flag(help: "Print one JSON object keyed by scenario as the last line.")
    var json = false

    func run() async throws {
        let scenarios: [BenchScenario]
        if scenario == "all" {
            scenarios = BenchScenario.allCases
        } else {
            guard let one = BenchScenario(rawValue: scenario) else {
                throw ValidationError("unknown scenario '\(scenario)'")
            }
            scenarios = [one]
        }
        guard duration > 0, backlogDeliveries > 0, concurrency > 0, instances > 0, rate > 0, retention > 0 else {
            throw ValidationError("--duration, --backlog-deliveries, --concurrency, --instances, --rate and --retention must be positive")
        }
        guard deadBacklog >= 0 else { throw ValidationError("--dead-backlog must not be negative") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be between 1 and 20") }
        guard instances == 1 || postgres != nil else {
            throw ValidationError("several --instances need a shared --postgres database")
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let options = BenchOptions(
            scenarios: scenarios,
            duration: duration,
            backlogDeliveries: backlogDeliveries,
            concurrency: concurrency,
            executable: executable,
            postgresURL: postgres,
            instances: instances,
            offeredRate: rate,
            retentionSeconds: retention,
            deadBacklog: deadBacklog,
            rounds: rounds,
            vacuumFirst: vacuumFirst
        )
        let results = try await Bench(options: options).run()
        print(BenchReport.table(results))
        if json { print(BenchReport.json(results)) }
    }
}
