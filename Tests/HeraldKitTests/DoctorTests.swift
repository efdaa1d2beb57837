import Foundation
import HeraldCore
import HeraldSetup
import HeraldTesting
import Logging
import Testing

@testable import HeraldKit

/// `herald doctor`'s checks, on real files and a real (read-only) SQLite database.
@Suite struct DoctorTests {
    static var quiet: Logger {
        var logger = Logger(label: "herald.doctor.test")
        logger.logLevel = .critical
        return logger
    }

    @Test func aFreshDirectoryIsReadyAndNothingIsCreated() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = HeraldConfiguration()
        configuration.database = .sqlite(path: directory.file("h.db"))
        let findings = await Doctor.examine(configuration, resolver: ScriptedResolver { _, _ in [] }, logger: Self.quiet)
        #expect(findings.allSatisfy { $0.severity == .ok })
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func findsWideModesNewerSchemasAndBlockedReceivers() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EmbeddedHeraldTests.configuration(database: .sqlite(path: directory.file("h.db")))
        // A database Herald made (owner-only), with an endpoint whose host resolves to a private address.
        let herald = try Herald(configuration: configuration, logger: Self.quiet)
        try await EmbeddedHeraldTests.running(herald) {
            _ = try await herald.applications.create(name: "Acme", uid: "acme")
            _ = try await herald.endpoints.create(app: "acme", url: "https://hooks.internal.example/in")
        }
        var status = stat()
        #expect(stat(directory.file("h.db"), &status) == 0 && status.st_mode & 0o777 == 0o600)

        // Served with the loopback allow-list, doctored without it: the private receiver is named.
        configuration.delivery.destinationPolicy = DestinationPolicy()
        let resolver = ScriptedResolver { host, _ in host == "hooks.internal.example" ? ["10.1.2.3"] : [] }
        var findings = await Doctor.examine(configuration, resolver: resolver, logger: Self.quiet)
        let destinations = try #require(findings.first { $0.check == "destinations" })
        #expect(destinations.severity == .warning)
        #expect(destinations.detail.contains("hooks.internal.example (10.1.2.3): 1 endpoints"))
        #expect(destinations.detail.contains("HERALD_ALLOWED_SUBNETS"))

        // A key file others can read is a problem; a database file others can read is a warning.
        chmod(directory.file("h.db.main-key"), 0o644)
        chmod(directory.file("h.db"), 0o644)
        findings = await Doctor.examine(configuration, resolver: resolver, logger: Self.quiet)
        #expect(findings.first { $0.check == "main key" }?.severity == .problem)
        #expect(findings.first { $0.check == "file modes" }?.severity == .warning)
    }

    @Test func clockSkewAgainstTheDatabaseIsGraded() {
        let server = Timestamp(milliseconds: 1_800_000_000_000)
        #expect(Doctor.clock(server: server, local: server.adding(seconds: 1)).severity == .ok)
        #expect(Doctor.clock(server: server, local: server.adding(seconds: -5)).severity == .warning)
        #expect(Doctor.clock(server: server, local: server.adding(seconds: 60)).severity == .problem)
        #expect(Doctor.clock(server: Timestamp(milliseconds: .min), local: Timestamp(milliseconds: .max)).severity == .problem)
    }

    @Test func aNewerSchemaIsAProblem() {
        let facts = DatabaseFacts(appliedMigrations: ["0001_core", "0099_future"], knownMigrations: ["0001_core"], endpointURLs: [], serverTime: nil)
        let finding = Doctor.schema(facts)
        #expect(finding.first?.severity == .problem)
        #expect(finding.first?.detail.contains("0099_future") == true)
    }
}
