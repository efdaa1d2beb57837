import Foundation
import HeraldCore
import HeraldPostgres
import HeraldTesting
import Logging
import Testing

/// What only a shared database has to get right: instances that start, claim and wake together.
@Suite(.enabled(if: StoreBackend.postgresURL != nil, "needs HERALD_TEST_POSTGRES_URL"))
struct PostgresStoreTests {
    static var server: PostgresLocation { get throws { try PostgresLocation(parsing: StoreBackend.postgresURL ?? "") } }

    static var quietLogger: Logger {
        var logger = Logger(label: "herald.test.postgres")
        logger.logLevel = .critical
        return logger
    }

    /// `count` running stores on one fresh database, started at the same moment.
    static func instances(_ count: Int) async throws -> [RunningPostgresStore] {
        let first = try await RunningPostgresStore.start(server: try server)
        let others = try await withThrowingTaskGroup(of: RunningPostgresStore.self) { group in
            for _ in 1..<count { group.addTask { try await RunningPostgresStore.start(existing: first.location, sealer: first.sealer) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        return [first] + others
    }

    @Test func instancesStartingTogetherApplyEachMigrationOnce() async throws {
        // A database created empty, so that the instances below race to migrate it.
        var empty = try Self.server
        empty.database = "herald_m_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresDatabaseAdmin.createDatabase(empty.database, server: try Self.server, logger: Self.quietLogger)
        let location = empty
        let sealer = SecretSealer.forTests
        let stores = try await withThrowingTaskGroup(of: RunningPostgresStore.self) { group in
            for _ in 0..<4 { group.addTask { try await RunningPostgresStore.start(existing: location, sealer: sealer) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for running in stores {
            #expect(
                try await running.store.appliedMigrations() == [
                    "0001_core", "0002_delivery", "0003_revoked_tokens", "0004_poller", "0005_sealed_idempotency", "0006_tenant_indexes",
                ]
            )
        }
    }

    @Test func instancesClaimingAtOnceNeverShareADelivery() async throws {
        let instances = try await Self.instances(3)
        let store = instances[0].store
        let app = StoreContractTests.application()
        try await store.createApplication(app)
        for _ in 0..<2 {
            var endpoint = StoreContractTests.endpoint(appID: app.id)
            endpoint.eventTypes = nil
            try await store.createEndpoint(endpoint)
        }
        for index in 0..<150 {
            try await store.createMessage(StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64(index))))
        }
        let now = StoreContractTests.now.adding(seconds: 1)
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (index, instance) in instances.enumerated() {
                for worker in 0..<2 {
                    group.addTask {
                        var claimed: [Int64] = []
                        while true {
                            let batch = try await instance.store.claimDeliveries(
                                limit: 7,
                                now: now,
                                leaseUntil: now.adding(seconds: 60),
                                owner: "instance-\(index)-\(worker)",
                                room: EndpointRoom(cap: 64)
                            )
                            if batch.isEmpty { return claimed }
                            claimed += batch.map(\.deliveryID)
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = claims.flatMap { $0 }
        #expect(all.count == 300)
        #expect(Set(all).count == 300)
        #expect(claims.filter { !$0.isEmpty }.count > 1)
    }

    /// Responses kept for idempotency are sealed with the main key: an instance with another key cannot read them.
    @Test func keptResponsesDoNotOpenUnderAnotherKey() async throws {
        let first = try await RunningPostgresStore.start(server: try Self.server)
        let stranger = try await RunningPostgresStore.start(
            existing: first.location,
            sealer: try SecretSealer(parsing: SecretSealer.generateKeyText())
        )
        let now = Timestamp.now()
        let response = StoredResponse(status: 200, headers: [], body: Array(#"{"token":"portal-secret"}"#.utf8))
        #expect(try await first.store.claimIdempotencyKey("k", now: now, lockUntil: now.adding(seconds: 5)) == .acquired)
        try await first.store.completeIdempotencyKey("k", response: response, resourceID: nil, expiresAt: now.adding(seconds: 60))
        #expect(try await first.store.claimIdempotencyKey("k", now: now, lockUntil: now.adding(seconds: 5)) == .completed(response))
        await #expect(throws: (any Error).self) {
            try await stranger.store.claimIdempotencyKey("k", now: now, lockUntil: now.adding(seconds: 5))
        }
    }

    @Test func newWorkOnOneInstanceWakesAnother() async throws {
        let instances = try await Self.instances(2)
        let (writer, sleeper) = (instances[0].store, instances[1].store)
        try await eventually { sleeper.isListeningForWork }
        let before = sleeper.workNotificationsReceived
        let app = StoreContractTests.application()
        try await writer.createApplication(app)
        var endpoint = StoreContractTests.endpoint(appID: app.id)
        endpoint.eventTypes = nil
        try await writer.createEndpoint(endpoint)
        try await writer.createMessage(StoreContractTests.message(appID: app.id))
        try await eventually { sleeper.workNotificationsReceived > before }
    }

    @Test func anUnreachableDatabaseAnswersUnavailableInsteadOfHanging() async throws {
        // Port 1 on loopback: nothing listens, so every connection attempt is refused.
        let location = PostgresLocation(host: "127.0.0.1", port: 1, username: "postgres", password: nil, database: "none")
        let store = PostgresStore(location: location, sealer: .forTests, operationTimeout: .seconds(1), logger: Self.quietLogger)
        let error = await #expect(throws: HeraldError.self) {
            try await store.withRunningClient { try await store.checkHealth() }
        }
        #expect(error?.kind == .serviceUnavailable)
    }
}

/// Waits until `condition` holds, failing after 20 seconds (a bound on "never", not a measurement).
func eventually(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now.advanced(by: .seconds(20))
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition did not hold within 20 s")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
