import ArgumentParser
import Foundation
import HeraldKit
import HeraldSettings
import Logging

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete, once and now, what retention deletes: old messages and attempts, expired payloads and keys.",
        discussion: """
            Deletes messages accepted longer ago than the retention period (--retention, or HERALD_RETENTION / the \
            config file's retention) with their deliveries, attempts and feed entries — except messages with a \
            delivery still waiting or retrying — then payloads past their payloadRetentionPeriod and expired \
            idempotency keys and token revocations. A server with a retention period does this every minute by \
            itself. On SQLite the server must be stopped (one process per database file); on PostgreSQL it runs \
            beside the instances. Reads the same flags, variables and config file as herald serve.
            """
    )

    @Option(help: "Delete messages older than this: 90d, 12h, 30m, 30s (default: the configured retention).")
    var retention: String?

    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        var configuration = try options.load().settings.herald
        if let retention {
            guard let period = RetentionPeriod(parsing: retention) else {
                throw ValidationError("--retention must be a whole number and a unit, e.g. 90d, 12h, 30m or 30s, not '\(retention)'")
            }
            configuration.retention = period
        }
        var logger = Logger(label: "herald")
        logger.logLevel = .warning
        let report = try await Prune.run(configuration, logger: logger)
        for failure in report.failures { FileHandle.standardError.write(Data(("Error: " + failure + "\n").utf8)) }
        let kept = configuration.retention.map { "older than \($0)" } ?? "none: no retention period is set, messages are kept"
        let partitions = report.partitions > 0 ? ", \(report.partitions) time partitions" : ""
        print(
            "deleted \(report.messages) messages (\(kept))\(partitions), \(report.payloads) expired payloads, \(report.expiredRecords) expired keys and revocations"
        )
        // What failed is left for the next run; the exit status tells cron.
        if !report.failures.isEmpty { throw ExitCode.failure }
    }
}
