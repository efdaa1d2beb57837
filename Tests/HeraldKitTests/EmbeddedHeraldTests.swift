import Foundation
import HTTPTypes
import HeraldCore
import HeraldKit
import HeraldPostgres
import HeraldSetup
import HeraldTesting
import Logging
import ServiceLifecycle
import StandardWebhooks
import Testing

/// Herald embedded in a process as a `Service`: no `herald serve`, webhooks delivered by the host's own process.
@Suite struct EmbeddedHeraldTests {
    static func configuration(database: DatabaseLocation) -> HeraldConfiguration {
        var configuration = HeraldConfiguration()
        configuration.database = database
        configuration.delivery.destinationPolicy = DestinationPolicy(allowedSubnets: [IPNetwork("127.0.0.0/8")!])
        return configuration
    }

    static var quiet: Logger {
        var logger = Logger(label: "herald.kit.test")
        logger.logLevel = .error
        return logger
    }

    /// The databases available here: an SQLite file always, a fresh PostgreSQL database when one is configured (with
    /// the keys PostgreSQL requires to be given).
    static func databases(in directory: TemporaryDirectory) async throws -> [HeraldConfiguration] {
        var configurations = [configuration(database: .sqlite(path: directory.file("embedded.db")))]
        if let url = StoreBackend.postgresURL {
            let location = try await PostgresInstances.freshDatabase(server: try PostgresLocation(parsing: url))
            var postgres = configuration(database: .postgres(location))
            postgres.jwtSecret = String(repeating: "k", count: 40)
            postgres.mainKey = String(repeating: "ab", count: 32)
            configurations.append(postgres)
        }
        return configurations
    }

    @Test func publishesAndDeliversASignedWebhookWithoutAServer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for configuration in try await Self.databases(in: directory) {
            let receiver = LoopbackReceiver()
            try await receiver.run { base in
                let herald = try Herald(configuration: configuration, logger: Self.quiet)
                try await Self.running(herald) {
                    let app = try await herald.applications.create(name: "Acme", uid: "acme")
                    // Asking again for the same uid gives the same application.
                    #expect(try await herald.applications.create(name: "Acme", uid: "acme").id == app.id)
                    try await herald.eventTypes.upsert(name: "invoice.paid", description: "An invoice was paid")
                    let endpoint = try await herald.endpoints.create(app: "acme", url: base + "/hooks", eventTypes: ["invoice.paid"])
                    let secret = try await herald.endpoints.secret(app: "acme", endpoint: endpoint.id)

                    let message = try await herald.messages.create(
                        app: "acme",
                        eventType: "invoice.paid",
                        payload: ["invoice": "inv_1"],
                        eventID: "evt_inv_1"
                    )
                    let arrived = await receiver.waitFor(1, to: "/hooks")
                    #expect(arrived.count == 1)
                    let request = try #require(arrived.first)
                    #expect(request.header("webhook-id") == message.id)
                    try Webhook(secret: secret).verify(
                        payload: request.body,
                        id: request.header("webhook-id") ?? "",
                        timestamp: request.header("webhook-timestamp") ?? "",
                        signature: request.header("webhook-signature") ?? ""
                    )
                    #expect(String(decoding: request.body, as: UTF8.self) == #"{"invoice":"inv_1"}"#)

                    // A retried publish with the same idempotency key is answered with the first message; the same
                    // event id without one is a conflict (the Svix API's rule): neither delivers twice.
                    let first = try await herald.messages.create(
                        app: app.id,
                        eventType: "invoice.paid",
                        payload: ["invoice": "inv_2"],
                        idempotencyKey: "publish-inv_2"
                    )
                    let retried = try await herald.messages.create(
                        app: app.id,
                        eventType: "invoice.paid",
                        payload: ["invoice": "inv_2"],
                        idempotencyKey: "publish-inv_2"
                    )
                    #expect(retried.id == first.id)
                    let duplicate = await #expect(throws: HeraldAPIError.self) {
                        try await herald.messages.create(app: "acme", eventType: "invoice.paid", payload: ["invoice": "inv_1"], eventID: "evt_inv_1")
                    }
                    #expect(duplicate?.status == 409)
                    #expect(await receiver.waitFor(3, to: "/hooks", timeout: .seconds(1)).count == 2)
                    #expect(try await herald.messages.get(app: "acme", id: message.id).eventId == "evt_inv_1")
                }
            }
        }
    }

    @Test func refusesWhatTheHTTPRouteRefuses() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let herald = try Herald(configuration: Self.configuration(database: .sqlite(path: directory.file("h.db"))), logger: Self.quiet)
        try await Self.running(herald) {
            _ = try await herald.applications.create(name: "Acme", uid: "acme")
            let invalid = await #expect(throws: HeraldAPIError.self) {
                try await herald.messages.create(app: "acme", eventType: "not a type!", payload: ["a": 1])
            }
            #expect(invalid?.status == 422)
            #expect(invalid?.detail.contains("eventType") == true)
            let missing = await #expect(throws: HeraldAPIError.self) {
                try await herald.messages.create(app: "nobody", eventType: "a.b", payload: ["a": 1])
            }
            #expect(missing?.status == 404)
            await #expect(throws: HeraldKitError.payloadNotAJSONObject) {
                try await herald.messages.create(app: "acme", eventType: "a.b", payloadJSON: Array("[1]".utf8))
            }
            let privateURL = await #expect(throws: HeraldAPIError.self) {
                try await herald.endpoints.create(app: "acme", url: "http://10.0.0.1/hooks")
            }
            #expect(privateURL?.status == 422)

            // What the Swift calls refuse before Herald sees it: fields smuggled after a payload, an empty id, a route
            // that would log out the calls' own token.
            await #expect(throws: HeraldKitError.payloadNotAJSONObject) {
                try await herald.messages.create(app: "acme", eventType: "a.b", payloadJSON: Array(#"{"a":1},"channels":["vip"]"#.utf8))
            }
            await #expect(throws: HeraldKitError.emptyIdentifier) {
                try await herald.endpoints.delete(app: "acme", endpoint: "")
            }
            await #expect(throws: HeraldKitError.refusedRoute("/auth/logout")) {
                _ = try await herald.api.send(.post, "/auth/logout")
            }
            #expect(try InProcessAPI.segment("a/b?c") == "a%2Fb%3Fc")
            #expect(try InProcessAPI.segment("..") == "%2E%2E")
            #expect(try InProcessAPI.segment("é") == "%C3%A9")
            // Still working: the token was not logged out.
            #expect(try await herald.applications.get("acme").uid == "acme")
        }
    }

    @Test func aMessageReturnedIsOnDiskWhenHeraldStartsAgain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = Self.configuration(database: .sqlite(path: directory.file("h.db")))
        let published = try await Self.running(try Herald(configuration: configuration, logger: Self.quiet)) { herald in
            _ = try await herald.applications.create(name: "Acme", uid: "acme")
            return try await herald.messages.create(app: "acme", eventType: "a.b", payload: ["n": 1], idempotencyKey: "publish-1")
        }
        // A second Herald on the same file (the first one's lock released) finds it, with the same keys; and a publish
        // retried after the restart with the same idempotency key is answered with the first message, not sent again.
        let (found, retried) = try await Self.running(try Herald(configuration: configuration, logger: Self.quiet)) { herald in
            (
                try await herald.messages.get(app: "acme", id: published.id),
                try await herald.messages.create(app: "acme", eventType: "a.b", payload: ["n": 1], idempotencyKey: "publish-1")
            )
        }
        #expect(found == published)
        #expect(retried.id == published.id)
    }

    @Test func callsWaitForRunAndFailOnceItEnds() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let herald = try Herald(configuration: Self.configuration(database: .sqlite(path: directory.file("h.db"))), logger: Self.quiet)
        // Another Herald cannot take the same SQLite file while this one holds it.
        #expect(throws: ConfigurationError.self) {
            _ = try Herald(configuration: Self.configuration(database: .sqlite(path: directory.file("h.db"))), logger: Self.quiet)
        }
        try await Self.running(herald) {
            _ = try await herald.applications.create(name: "Acme")
        }
        await #expect(throws: HeraldKitError.stopped) {
            _ = try await herald.applications.create(name: "Late")
        }
    }

    /// Runs `herald` in a service group while `body` runs, then shuts the group down gracefully.
    static func running<T: Sendable>(_ herald: Herald, _ body: () async throws -> T) async throws -> T {
        try await running(herald) { _ in try await body() }
    }

    static func running<T: Sendable>(_ herald: Herald, _ body: (Herald) async throws -> T) async throws -> T {
        let group = ServiceGroup(configuration: .init(services: [herald], logger: quiet))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await herald.ready()
                let result = try await body(herald)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
