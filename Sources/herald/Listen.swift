import ArgumentParser
import Foundation
import HeraldListen

struct Listen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward an application's messages to a local URL as signed webhooks (for development, like stripe listen).",
        discussion: """
            Creates (or reuses) a polling endpoint on the application, follows its stream and POSTs each message to \
            --forward with Standard Webhooks headers, signed with the secret printed at start. The position is kept \
            on the server: after Ctrl-C, the next run continues where this one stopped.
            """
    )

    @Option(help: "Herald's base URL.")
    var server: String = "http://localhost:8071"

    @Option(help: "An org token, or an app token of the application (HERALD_TOKEN).")
    var token: String?

    @Option(help: "The application's id or uid.")
    var app: String

    @Option(help: "Event types to forward, comma-separated; 'prefix.*' matches a prefix. Default: all.")
    var events: String?

    @Option(help: "The local URL to POST each message to.")
    var forward: String

    @Option(help: "Name of the polling endpoint (its uid) and of the consumer whose position is kept.")
    var name: String = "herald-listen"

    @Option(
        help:
            "Only messages received from this inbound source (id or uid; needs an org token), forwarded with the sender's headers and body as received."
    )
    var source: String?

    func run() async throws {
        guard let token = token ?? ProcessInfo.processInfo.environment["HERALD_TOKEN"], !token.isEmpty else {
            throw ValidationError("--token (or HERALD_TOKEN) is required")
        }
        let eventTypes = (events ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let options = Listener.Options(server: server, token: token, app: app, events: eventTypes, forward: forward, name: name, source: source)
        try await Listener(options: options) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }.run()
    }
}
