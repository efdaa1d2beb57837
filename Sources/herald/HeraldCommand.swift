import ArgumentParser
import HeraldCore

@main
struct HeraldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A webhook server: a Svix-compatible API, signed and retried deliveries, on SQLite or PostgreSQL.",
        // The commit comes from the HeraldBuildInfo plugin, which reads it from git at build time.
        version: "\(HeraldVersion.current) (commit \(HeraldBuild.commit))",
        subcommands: [Serve.self, Token.self, Listen.self, BenchCommand.self, Doctor.self, ConfigCommand.self, BackupCommand.self, PruneCommand.self]
    )
}
