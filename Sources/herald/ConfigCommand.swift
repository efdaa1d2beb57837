import ArgumentParser
import HeraldSettings

/// `herald config check|print`: the settings `herald serve` would start with, without starting it.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Validate and show the settings herald serve would start with.",
        subcommands: [Check.self, Print.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a config file together with the HERALD_* variables and flags, without starting.",
            discussion: "Exits 78 (EX_CONFIG) and names every bad key (and what it allows) if anything is wrong."
        )

        @OptionGroup var options: ServerOptions

        func run() throws {
            let loaded = try options.load()
            let fromFile = loaded.sources.values.filter { if case .file = $0 { true } else { false } }.count
            let fromElsewhere = loaded.sources.values.filter { if case .environment = $0 { true } else if case .flag = $0 { true } else { false } }
                .count
            print("ok: \(loaded.configFile.map { "\($0) sets \(fromFile) settings" } ?? "no config file"), flags and environment \(fromElsewhere)")
        }
    }

    struct Print: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective settings as YAML, secrets masked, each with where it came from."
        )

        @OptionGroup var options: ServerOptions

        func run() throws {
            print(try options.load().effectiveYAML(), terminator: "")
        }
    }
}
