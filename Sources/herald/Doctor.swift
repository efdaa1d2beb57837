import ArgumentParser
import HeraldDelivery
import HeraldKit
import HeraldSettings
import Logging

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check what bites in production: keys and their file modes, disk space, the database and its schema, "
            + "the clock against PostgreSQL, endpoints the SSRF guard blocks. Changes nothing; safe beside a running server.",
        discussion: "Reads the same flags and HERALD_* variables as herald serve. Exits 1 when a check finds a problem."
    )

    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        let configuration = try options.load().settings.herald
        var logger = Logger(label: "herald.doctor")
        logger.logLevel = .critical
        let findings = await HeraldKit.Doctor.examine(configuration, resolver: SystemHostResolver(), logger: logger)
        for finding in findings {
            let mark =
                switch finding.severity {
                case .ok: "ok     "
                case .warning: "warning"
                case .problem: "PROBLEM"
                }
            print("\(mark)  \(finding.check): \(finding.detail)")
        }
        if findings.contains(where: { $0.severity == .problem }) { throw ExitCode(1) }
    }
}
