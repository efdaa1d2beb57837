import ArgumentParser

@main
struct Herald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A webhook server: a Svix-compatible API, signed and retried deliveries, on SQLite or PostgreSQL.",
        subcommands: [Serve.self, Token.self, Listen.self, BenchCommand.self]
    )
}
