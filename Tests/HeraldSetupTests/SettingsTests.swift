import Foundation
import HeraldCore
import HeraldSettings
import HeraldSetup
import Testing

@Suite struct SettingsTests {
    static func file(_ name: String, _ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func problems(flags: [String: String] = [:], environment: [String: String] = [:], file: String?) -> [String] {
        do {
            _ = try LoadedSettings(flags: flags, environment: environment, configFile: file)
            return []
        } catch let error as SettingsError {
            return error.problems
        } catch {
            return ["\(error)"]
        }
    }

    @Test func flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults() throws {
        let path = try Self.file(
            "herald.yaml",
            """
            host: 10.0.0.5
            port: 9000
            max_concurrency: 40
            request_timeout: 7
            """
        )
        let loaded = try LoadedSettings(
            flags: ["port": "9100"],
            environment: ["HERALD_PORT": "9050", "HERALD_MAX_CONCURRENCY": "20"],
            configFile: path
        )
        #expect(loaded.settings.herald.port == 9100)
        #expect(loaded.sources["port"] == .flag("--port"))
        #expect(loaded.settings.herald.delivery.maxConcurrency == 20)
        #expect(loaded.sources["max_concurrency"] == .environment("HERALD_MAX_CONCURRENCY"))
        #expect(loaded.settings.herald.delivery.requestTimeoutSeconds == 7)
        #expect(loaded.settings.herald.host == "10.0.0.5")
        #expect(loaded.sources["host"] == .file(key: "host", path: path))
        #expect(loaded.settings.herald.maxBodyBytes == 1 << 20)
        #expect(loaded.sources["max_body_bytes"] == .defaultValue)
    }

    @Test func theEnvironmentNamesTheFileAndAnEmptyVariableNarrowsButNeverWidens() throws {
        let path = try Self.file("herald.yml", "port: 9001\nlog_level: debug\nrole: worker\nallowed_subnets: [10.0.0.0/8]\n")
        let loaded = try LoadedSettings(
            flags: [:],
            environment: ["HERALD_CONFIG": path, "HERALD_PORT": "", "HERALD_ALLOWED_SUBNETS": ""],
            configFile: nil
        )
        #expect(loaded.configFile == path)
        #expect(loaded.settings.logLevel == .debug)
        #expect(loaded.settings.role == .worker)
        // An operator narrowing the file with an empty variable gets nothing, not the file's wider value.
        #expect(loaded.settings.herald.delivery.destinationPolicy.allowedSubnets.isEmpty)
        #expect(loaded.sources["allowed_subnets"] == .environment("HERALD_ALLOWED_SUBNETS"))
        // A blank required setting is as if it were not there: the file's port stands.
        #expect(loaded.settings.herald.port == 9001)
        let secured = try Self.file("herald.yaml", "host: 127.0.0.1\nhttps_only: true\n")
        let blank = try LoadedSettings(
            flags: [:],
            environment: ["HERALD_HOST": "", "HERALD_HTTPS_ONLY": "", "HERALD_MAIN_KEY": ""],
            configFile: secured
        )
        #expect(blank.settings.herald.host == "127.0.0.1" && blank.settings.herald.httpsOnly)
    }

    @Test func emptyValuesAreRefusedWhereASettingNeedsOneAndAllowedWhereItIsOptional() throws {
        let path = try Self.file("herald.yaml", "host:\nport: ~\nallowed_subnets: []\npublic_url: ~\n")
        let problems = Self.problems(file: path)
        #expect(problems.contains { $0.hasPrefix("host in \(path) must be") })
        #expect(problems.contains { $0.hasPrefix("port in \(path) must be") })
        #expect(problems.count == 2)
        let empty = try Self.file("herald.yaml", "# nothing set yet\n")
        #expect(try LoadedSettings(flags: [:], environment: [:], configFile: empty).settings.herald.host == "0.0.0.0")
    }

    @Test func aFileValueIsCheckedEvenWhenOverridden() throws {
        let path = try Self.file("herald.json", #"{"request_timeout": 99, "retry_schedule": [true, 5]}"#)
        let problems = Self.problems(environment: ["HERALD_REQUEST_TIMEOUT": "5"], file: path)
        #expect(problems.contains("request_timeout in \(path) must be whole seconds from 1 to 30, not '99'"))
        #expect(problems.contains { $0.hasPrefix("retry_schedule in \(path) must be") })
        #expect(problems.count == 2)
    }

    @Test func parseErrorsNameThePlaceButNeverQuoteTheFile() throws {
        let secret = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo="
        let texts = [
            "jwt_secret: \(secret)\nlog_level: info\nlog_level: debug\n",  // a key given twice
            "jwt_secret: @\(secret)\n",  // a character no token starts with
            "jwt_secret: \"\(secret)\"x\"\n",
            "database: postgres://herald:\(secret): x@db/herald\n",
            "jwt_secret: *\(secret)\n",  // an undefined alias
        ]
        for text in texts {
            let path = try Self.file("herald.yaml", text)
            let message = Self.problems(file: path).joined()
            let named = message.contains("is not valid YAML") || message.contains("anchor or alias")
            #expect(named && (message.contains("line") || message.contains("given twice")), "\(message)")
            #expect(!message.contains(secret), "\(message)")
        }
        let json = try Self.file("herald.json", #"{"jwt_secret": "\#(secret)" "port": 1}"#)
        let message = Self.problems(file: json).joined()
        #expect(message.contains("is not valid JSON") && !message.contains(secret), "\(message)")
    }

    @Test func anchorsFifosAndHugeKeyCountsAreRefused() throws {
        let anchored = try Self.file("herald.yaml", "host: &h 127.0.0.1\npublic_url: *h\n")
        #expect(Self.problems(file: anchored).joined().contains("uses a YAML anchor or alias (line 1)"))
        // The billion laughs, under an unknown key, nested, in a file that is "JSON": refused before any parse.
        let laughs = (1..<9).map { n in "a\(n): &a\(n) [" + Array(repeating: "*a\(n - 1)", count: 9).joined(separator: ", ") + "]" }
        let bomb = try Self.file("herald.json", "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + laughs.joined(separator: "\n"))
        #expect(Self.problems(file: bomb).joined().contains("anchor or alias"))
        // A password with & or * in it is a plain value, not an anchor.
        let plain = try Self.file("herald.yaml", "database: postgres://herald:p&ss*word@db:5432/herald\nmain_key: \"&notananchor\"\n")
        #expect(!Self.problems(file: plain).joined().contains("anchor"))
        let nested = try Self.file("herald.yaml", "extra:\n  deep: {a: 1}\nport: 1\n")
        #expect(Self.problems(file: nested).contains { $0.hasPrefix("unknown key 'extra'") })
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID().uuidString).yaml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        #expect(Self.problems(file: fifo).joined().contains("is not a regular file"))
        let many = try Self.file("herald.yaml", (0..<1001).map { "k\($0): 1" }.joined(separator: "\n"))
        #expect(Self.problems(file: many).joined().contains("has 1001 keys"))
    }

    @Test func databaseAndURLPasswordsAreNeverEchoedNorPrinted() throws {
        for url in ["postgresql+asyncpg://herald:pa55word@db/h", "postgres://herald:pa/55word@db/herald", " postgres://herald:pa55word@db/h"] {
            let problems = Self.problems(environment: ["HERALD_DATABASE_URL": url], file: nil)
            #expect(problems.count == 1 && !problems.joined().contains("55word"), "\(problems)")
        }
        let printed = try LoadedSettings(
            flags: [:],
            environment: ["HERALD_PUBLIC_URL": "https://user:pa55word@hooks.example.com/?token=t0ken"],
            configFile: nil
        ).effectiveYAML()
        #expect(!printed.contains("pa55word") && !printed.contains("t0ken") && printed.contains("hooks.example.com"))
    }

    @Test func yamlAndJSONListsNumbersAndBooleansMeanWhatTheEnvironmentSays() throws {
        let yaml = try Self.file(
            "herald.yaml",
            """
            allowed_subnets:
              - 10.1.0.0/16
              - fd12::/64
            retry_schedule: [5, 60, 2.5]
            https_only: true
            message_rate_per_app: 0
            database: sqlite:/var/lib/herald/herald.db
            """
        )
        let json = try Self.file(
            "herald.json",
            #"{"allowed_subnets": "10.1.0.0/16,fd12::/64", "retry_schedule": [5, 60, 2.5], "https_only": true, "message_rate_per_app": 0, "database": "sqlite:/var/lib/herald/herald.db"}"#
        )
        let environment = [
            "HERALD_ALLOWED_SUBNETS": "10.1.0.0/16,fd12::/64", "HERALD_RETRY_SCHEDULE": "5,60,2.5", "HERALD_HTTPS_ONLY": "true",
            "HERALD_MESSAGE_RATE_PER_APP": "0", "HERALD_DATABASE_URL": "sqlite:/var/lib/herald/herald.db",
        ]
        let fromYAML = try LoadedSettings(flags: [:], environment: [:], configFile: yaml).settings.herald
        let fromJSON = try LoadedSettings(flags: [:], environment: [:], configFile: json).settings.herald
        let fromEnvironment = try LoadedSettings(flags: [:], environment: environment, configFile: nil).settings.herald
        for configuration in [fromYAML, fromJSON, fromEnvironment] {
            #expect(configuration.delivery.destinationPolicy.allowedSubnets.map(\.description) == ["10.1.0.0/16", "fd12::/64"])
            #expect(configuration.delivery.retryPolicy.schedule == [5, 60, 2.5])
            #expect(configuration.httpsOnly)
            #expect(configuration.limits.messagesPerSecondPerApplication == 0)
            #expect(configuration.database == .sqlite(path: "/var/lib/herald/herald.db"))
        }
    }

    @Test func unknownKeysAndBadValuesAreAllRefusedByName() throws {
        let path = try Self.file(
            "herald.yaml",
            """
            max_concurency: 5
            timeout: 3
            port: 70000
            https_only: maybe
            max_body_bytes: true
            host: [a, b]
            headers: stripe
            """
        )
        let problems = Self.problems(file: path)
        #expect(problems.contains("unknown key 'max_concurency' in \(path) (did you mean 'max_concurrency'?)"))
        #expect(problems.contains { $0.hasPrefix("unknown key 'timeout' in \(path)") })
        #expect(problems.contains("port in \(path) must be a port number from 0 to 65535, not '70000'"))
        #expect(problems.contains("https_only in \(path) must be true or false, not 'maybe'"))
        #expect(problems.contains("max_body_bytes in \(path) must be a whole number of bytes from 1024 to 1073741824"))
        #expect(problems.contains("host in \(path) must be an address to listen on, e.g. 0.0.0.0 or 127.0.0.1"))
        #expect(problems.contains("headers in \(path) must be webhook, svix or both, not 'stripe'"))
        #expect(problems.count == 7)

        // A mapping where a value belongs is refused first, alone: values are read from a file of plain values only.
        let nested = try Self.file("herald.yaml", "retry_schedule: { first: 5 }\nport: 70000\n")
        #expect(Self.problems(file: nested) == ["retry_schedule in \(nested) must be a single value or a list of values, not a mapping"])
    }

    @Test func aBadEnvironmentValueIsNamedByItsVariable() {
        let problems = Self.problems(environment: ["HERALD_REQUEST_TIMEOUT": "60", "HERALD_DATABASE_URL": "mysql://x"], file: nil)
        #expect(problems.contains("HERALD_REQUEST_TIMEOUT must be whole seconds from 1 to 30, not '60'"))
        #expect(problems.contains { $0.hasPrefix("HERALD_DATABASE_URL must be sqlite:PATH or postgres://") })
    }

    @Test func observabilitySettingsAreCheckedTogether() {
        #expect(
            Self.problems(environment: ["HERALD_METRICS": "false", "HERALD_METRICS_PORT": "9464"], file: nil)
                == ["metrics_port needs metrics on: with metrics false there is nothing to serve on it"]
        )
        #expect(
            Self.problems(environment: ["HERALD_METRICS_PORT": "8071"], file: nil).contains { $0.hasPrefix("metrics_port must differ from port") }
        )
        #expect(
            Self.problems(environment: ["HERALD_RETENTION": "90x"], file: nil).contains {
                $0.hasPrefix("HERALD_RETENTION must be a whole number and a unit")
            }
        )
        for bad in ["ftp://collector:4318", "collector:4318", "http://collector:4318/?q=1"] {
            #expect(Self.problems(environment: ["HERALD_OTEL_ENDPOINT": bad], file: nil).count == 1, "\(bad)")
        }
        #expect(Self.problems(environment: ["HERALD_RETENTION": "90d", "HERALD_OTEL_ENDPOINT": "http://127.0.0.1:4318"], file: nil).isEmpty)
    }

    @Test func secretsAreNeverEchoedNorPrinted() throws {
        let shortSecret = "short-jwt-secret"
        let badKey = "not-base64-key-material"
        let problems = Self.problems(environment: ["HERALD_JWT_SECRET": shortSecret, "HERALD_MAIN_KEY": badKey], file: nil)
        #expect(problems.count == 2)
        #expect(!problems.joined().contains(shortSecret) && !problems.joined().contains(badKey))

        let jwtSecret = String(repeating: "s3cret", count: 8)
        let mainKey = Data(repeating: 7, count: 32).base64EncodedString()
        let path = try Self.file("herald.yaml", "jwt_secret: \(jwtSecret)\nmain_key: \(mainKey)\n")
        let printed = try LoadedSettings(
            flags: [:],
            environment: ["HERALD_DATABASE_URL": "postgres://herald:pg-password@db.internal:5432/herald"],
            configFile: path
        ).effectiveYAML()
        #expect(!printed.contains(jwtSecret) && !printed.contains(mainKey) && !printed.contains("pg-password"))
        #expect(printed.contains("jwt_secret: \"********\"  # jwt_secret in \(path)"))
        #expect(printed.contains("database: \"postgres://herald@db.internal:5432/herald\"  # HERALD_DATABASE_URL"))
    }

    @Test func thePrintedSettingsReadBackAsAConfigFileWithTheSameValues() throws {
        let path = try Self.file("herald.yaml", "port: 9002\nretry_schedule: [1, 2, 3]\nallowed_subnets: [127.0.0.0/8]\n")
        let first = try LoadedSettings(flags: [:], environment: [:], configFile: path)
        let printed = try Self.file("printed.yaml", first.effectiveYAML())
        let second = try LoadedSettings(flags: [:], environment: [:], configFile: printed)
        #expect(second.settings.herald.port == 9002)
        #expect(second.settings.herald.delivery.retryPolicy.schedule == [1, 2, 3])
        #expect(second.settings.herald.delivery.destinationPolicy == first.settings.herald.delivery.destinationPolicy)
        #expect(
            second.effectiveYAML().split(separator: "\n").dropFirst(2).map { $0.split(separator: "#")[0] }
                == first.effectiveYAML().split(separator: "\n").dropFirst(2).map { $0.split(separator: "#")[0] }
        )
    }

    @Test func anUnreadableOrMalformedFileIsRefusedBeforeAnything() throws {
        #expect(throws: ConfigurationError.self) { _ = try LoadedSettings(flags: [:], environment: [:], configFile: "/nonexistent/herald.yaml") }
        let malformed = try Self.file("herald.yaml", "port: [unclosed\n")
        #expect(throws: ConfigurationError.self) { _ = try LoadedSettings(flags: [:], environment: [:], configFile: malformed) }
        let notAMapping = try Self.file("herald.json", "[1, 2]")
        #expect(throws: ConfigurationError.self) { _ = try LoadedSettings(flags: [:], environment: [:], configFile: notAMapping) }
        let wrongExtension = try Self.file("herald.toml", "port = 1")
        #expect(throws: ConfigurationError.self) { _ = try LoadedSettings(flags: [:], environment: [:], configFile: wrongExtension) }
    }

    /// README's Configuration table and the catalogue name the same settings, variables and flags.
    @Test func readmeDocumentsEverySetting() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.contains("`HERALD_") }
        var documented: Set<String> = []
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            documented.insert("\(cells[0]) \(cells[1]) \(cells[2])")
        }
        let expected = Set(
            Setting.catalogue.map { "`\($0.key)` \($0.flag.map { "`\($0)`" } ?? "—") `\($0.environmentName)`" }
        )
        #expect(documented == expected)
    }
}
