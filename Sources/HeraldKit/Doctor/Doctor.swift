import Foundation
import HeraldAPI
import HeraldCore
import HeraldPostgres
import HeraldSQLite
import HeraldSetup
import Logging

/// One thing `herald doctor` looked at, and what it found.
public struct DoctorFinding: Sendable, Equatable {
    public enum Severity: String, Sendable, Comparable {
        case ok, warning, problem

        var rank: Int {
            switch self {
            case .ok: 0
            case .warning: 1
            case .problem: 2
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    public var check: String
    public var severity: Severity
    /// What was found and, when it is not ok, what to do.
    public var detail: String

    public init(_ check: String, _ severity: Severity, _ detail: String) {
        self.check = check
        self.severity = severity
        self.detail = detail
    }
}

/// The checks of `herald doctor`: what bites in production, looked at without changing anything — no key file or
/// database is created, no migration applied, no lock taken — so it may run beside a serving Herald. (Reading a WAL
/// database whose server is stopped lets SQLite make its -wal and -shm files again.)
public enum Doctor {
    /// Free space below this is a problem, below `warningFreeBytes` a warning.
    static let problemFreeBytes: UInt64 = 100 << 20
    static let warningFreeBytes: UInt64 = 1 << 30
    /// Clock difference with PostgreSQL (seconds) from which timestamps and retry times disagree visibly.
    static let warningSkewSeconds: Int64 = 2
    static let problemSkewSeconds: Int64 = 30
    /// Distinct endpoint hosts resolved at most (each resolution has its own deadline).
    static let hostLimit = 50

    public static func examine(
        _ configuration: HeraldConfiguration,
        resolver: any HostResolver,
        logger: Logger
    ) async -> [DoctorFinding] {
        var findings = keys(configuration)
        let facts: DatabaseFacts?
        switch configuration.database {
        case .sqlite(let path):
            findings += files(databasePath: path)
            do {
                facts = try SQLiteInspection.inspect(path: path)
                if facts == nil { findings.append(.init("database", .ok, "\(path) does not exist yet; herald serve creates it")) }
            } catch {
                facts = nil
                findings.append(.init("database", .problem, "cannot read \(path): \(error)"))
            }
        case .postgres(let location):
            do {
                facts = try await PostgresInspection.inspect(location: location, logger: logger)
            } catch {
                facts = nil
                findings.append(
                    .init(
                        "database",
                        .problem,
                        "cannot reach PostgreSQL at \(location): \(String(reflecting: error)); check the URL, the network and pg_hba.conf"
                    )
                )
            }
        }
        if let facts {
            findings += schema(facts)
            if let time = facts.serverTime { findings.append(clock(server: time.server, local: time.local)) }
            findings.append(await destinations(facts.endpointURLs, policy: configuration.delivery.destinationPolicy, resolver: resolver))
        }
        return findings
    }

    /// The signing secret and the main key: given, or in files beside the SQLite database that only their owner reads.
    static func keys(_ configuration: HeraldConfiguration) -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let isPostgres = if case .postgres = configuration.database { true } else { false }
        let secrets: [(name: String, variable: String, given: String?, suffix: String, validate: (String) -> String?)] = [
            (
                "JWT secret", "HERALD_JWT_SECRET", configuration.jwtSecret, ".jwt-secret",
                { $0.utf8.count >= TokenAuthority.minimumSecretBytes ? nil : "is shorter than \(TokenAuthority.minimumSecretBytes) bytes" }
            ),
            (
                "main key", "HERALD_MAIN_KEY", configuration.mainKey, ".main-key",
                { (try? SecretSealer(parsing: $0)) == nil ? "is not a 32-byte key (base64 or 64 hex digits)" : nil }
            ),
        ]
        for secret in secrets {
            if let given = secret.given {
                if let problem = secret.validate(given) {
                    findings.append(.init(secret.name, .problem, "\(secret.variable) \(problem)"))
                } else {
                    findings.append(.init(secret.name, .ok, "from \(secret.variable)"))
                }
                continue
            }
            guard !isPostgres else {
                findings.append(
                    .init(secret.name, .problem, "\(secret.variable) is not set: instances sharing PostgreSQL must all be given the same one")
                )
                continue
            }
            guard let path = try? configuration.sideFilePath(suffix: secret.suffix) else { continue }
            do {
                if let text = try SecretFile.readExisting(path) {
                    if let problem = secret.validate(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                        findings.append(.init(secret.name, .problem, "\(path) \(problem)"))
                    } else {
                        findings.append(.init(secret.name, .ok, "\(path), readable by its owner only"))
                    }
                } else {
                    findings.append(.init(secret.name, .ok, "\(path) does not exist yet; herald serve creates it (mode 0600)"))
                }
            } catch {
                findings.append(.init(secret.name, .problem, "\(error)"))
            }
        }
        return findings
    }

    /// The SQLite file and its directory: who may read them, and the space left.
    static func files(databasePath path: String) -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var status = stat()
        if stat(path, &status) == 0 {
            let mode = status.st_mode & 0o777
            if mode & 0o077 != 0 {
                findings.append(
                    .init(
                        "file modes",
                        .warning,
                        "\(path) has mode 0\(String(mode, radix: 8)): it holds payloads and sealed secrets; run chmod 600 \(path) (and its -wal, -shm)"
                    )
                )
            } else if status.st_uid != geteuid() {
                findings.append(.init("file modes", .warning, "\(path) belongs to uid \(status.st_uid), not to this user (\(geteuid()))"))
            } else {
                findings.append(.init("file modes", .ok, "\(path) is readable by its owner only"))
            }
        }
        if access(directory, W_OK) != 0 {
            findings.append(.init("directory", .problem, "\(directory) is not writable by this user: SQLite needs to create its -wal and -shm there"))
        }
        var space = statvfs()
        if statvfs(directory, &space) == 0 {
            let free = UInt64(space.f_bavail).multipliedReportingOverflow(by: UInt64(space.f_frsize))
            let bytes = free.overflow ? UInt64.max : free.partialValue
            let text = "\(bytes >> 20) MiB free in \(directory)"
            if bytes < problemFreeBytes {
                findings.append(.init("disk space", .problem, text + ": a full disk stops accepting messages; free some space"))
            } else if bytes < warningFreeBytes {
                findings.append(.init("disk space", .warning, text + ": less than 1 GiB"))
            } else {
                findings.append(.init("disk space", .ok, text))
            }
        }
        return findings
    }

    /// Whether this build can open the database, and what its first start would migrate.
    static func schema(_ facts: DatabaseFacts) -> [DoctorFinding] {
        do {
            try SchemaCompatibility.check(applied: facts.appliedMigrations, known: facts.knownMigrations)
        } catch {
            return [.init("schema", .problem, "\(error)")]
        }
        let pending = facts.knownMigrations.filter { !facts.appliedMigrations.contains($0) }
        if pending.isEmpty { return [.init("schema", .ok, "up to date (\(facts.knownMigrations.count) migrations)")] }
        return [.init("schema", .ok, "herald serve will apply \(pending.joined(separator: ", ")) at start; take a copy first")]
    }

    /// This machine's clock against PostgreSQL's: message times come from one, retry times are compared with both.
    static func clock(server: Timestamp, local: Timestamp) -> DoctorFinding {
        let (difference, overflow) = local.milliseconds.subtractingReportingOverflow(server.milliseconds)
        let seconds = overflow ? Int64.max : abs(difference / 1000)
        let text = "this machine's clock is \(seconds) s away from PostgreSQL's"
        if seconds >= problemSkewSeconds { return .init("clock", .problem, text + "; synchronise it (NTP)") }
        if seconds >= warningSkewSeconds { return .init("clock", .warning, text + "; synchronise it (NTP)") }
        return .init("clock", .ok, text)
    }

    /// Endpoints whose host is, or resolves to, an address the SSRF guard refuses: they will never be delivered to.
    static func destinations(_ urls: [String], policy: DestinationPolicy, resolver: any HostResolver) async -> DoctorFinding {
        var hosts: [String: Int] = [:]
        for url in urls {
            // The host as written (percent-encoded): it is printed, and a decoded one could hold control characters.
            guard let components = URLComponents(string: url), components.scheme == "http" || components.scheme == "https",
                let host = components.percentEncodedHost, !host.isEmpty
            else { continue }
            hosts[host, default: 0] += 1
        }
        let checkedHosts = hosts.sorted { $0.value > $1.value }.prefix(hostLimit)
        // Every host at once: each lookup has its own deadline, and fifty in a row would take minutes.
        let verdicts = await withTaskGroup(of: (host: String, endpoints: Int, verdict: HostVerdict).self) { group in
            for (host, count) in checkedHosts {
                group.addTask { (host, count, await verdict(host: host, policy: policy, resolver: resolver)) }
            }
            var all: [(host: String, endpoints: Int, verdict: HostVerdict)] = []
            for await result in group { all.append(result) }
            return all.sorted { ($0.endpoints, $1.host) > ($1.endpoints, $0.host) }
        }
        var blocked: [(host: String, endpoints: Int, why: String)] = []
        var unresolved: [String] = []
        for entry in verdicts {
            switch entry.verdict {
            case .reachable: break
            case .unresolved: unresolved.append(entry.host)
            case .blocked(let address): blocked.append((entry.host, entry.endpoints, entry.host == "\(address)" ? "" : " (\(address))"))
            }
        }
        let checked = "\(urls.count) endpoints, \(checkedHosts.count) hosts checked"
        if !blocked.isEmpty {
            let list = blocked.map { "\($0.host)\($0.why): \($0.endpoints) endpoints" }.joined(separator: "; ")
            return .init(
                "destinations",
                .warning,
                "\(checked); blocked by the SSRF guard: \(list). If those receivers are yours, add their networks to HERALD_ALLOWED_SUBNETS"
            )
        }
        if !unresolved.isEmpty {
            return .init("destinations", .warning, "\(checked); these hosts do not resolve now: \(unresolved.joined(separator: ", "))")
        }
        return .init("destinations", .ok, checked + "; every host is reachable under the SSRF guard")
    }

    enum HostVerdict: Sendable {
        case reachable
        case unresolved
        case blocked(IPAddress)
    }

    static func verdict(host: String, policy: DestinationPolicy, resolver: any HostResolver) async -> HostVerdict {
        let literal = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let addresses: [IPAddress]
        if let address = IPAddress(literal) {
            addresses = [address]
        } else {
            guard let resolved = try? await resolver.resolve(host: host) else { return .unresolved }
            addresses = resolved
        }
        return addresses.first { !policy.permits($0) }.map(HostVerdict.blocked) ?? .reachable
    }
}
