import ArgumentParser
import HeraldAPI
import HeraldCore
import HeraldSettings

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an org token (HS256 JWT) signed with the same secret `herald serve` uses."
        )

        @OptionGroup var options: DatabaseOptions

        @Option(help: "Organisation id the token grants access to.")
        var org: String = TokenAuthority.defaultOrgID

        @Option(
            name: .customLong("expires-in"),
            help: "How long the token is valid: a number with s, m, h or d (e.g. 90d, 12h); default 3650d (ten years)."
        )
        var expiresIn: String?

        func run() async throws {
            guard org.hasPrefix("org_"), FieldRules.isIdentifierLike(org) else {
                throw ValidationError("--org must be an org id such as \(TokenAuthority.defaultOrgID)")
            }
            var lifetime = TokenAuthority.orgTokenLifetimeSeconds
            if let expiresIn {
                guard let seconds = TokenLifetime.seconds(parsing: expiresIn) else {
                    throw ValidationError("--expires-in must be a number of s, m, h or d between 1 s and 3650 d, such as 90d")
                }
                lifetime = seconds
            }
            let configuration = try options.load().settings.herald
            let (secret, _) = try configuration.resolveJWTSecret()
            let tokens = try await TokenAuthority(secret: Array(secret.utf8))
            print(try await tokens.orgToken(orgID: org, lifetimeSeconds: lifetime))
        }
    }
}

/// `--expires-in` values: a whole number with a unit (`s`, `m`, `h`, `d`), at most ten years.
enum TokenLifetime {
    static func seconds(parsing text: String) -> Int64? {
        guard let unit = text.last, let number = Int64(text.dropLast()), number > 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        default: return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        guard !overflow, seconds <= TokenAuthority.orgTokenLifetimeSeconds else { return nil }
        return seconds
    }
}
