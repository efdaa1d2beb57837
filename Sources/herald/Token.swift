import ArgumentParser
import HeraldAPI
import HeraldCore

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an org token (HS256 JWT) signed with the same secret `herald serve` uses."
        )

        @OptionGroup var options: ServerOptions

        @Option(help: "Organisation id the token grants access to.")
        var org: String = TokenAuthority.defaultOrgID

        func run() async throws {
            guard org.hasPrefix("org_"), FieldRules.isIdentifierLike(org) else {
                throw ValidationError("--org must be an org id such as \(TokenAuthority.defaultOrgID)")
            }
            let configuration = try options.configuration()
            let (secret, _) = try configuration.resolveJWTSecret()
            let tokens = try await TokenAuthority(secret: Array(secret.utf8))
            print(try await tokens.orgToken(orgID: org))
        }
    }
}
