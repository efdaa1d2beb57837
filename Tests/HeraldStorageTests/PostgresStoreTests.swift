import Foundation
import HeraldCore
import HeraldPostgres
import HeraldTesting
import Logging
import Synchronization
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

    /// `count` running stores on one fresh database, started at the same moment, for the duration of `body`.
    static func withInstances(_ count: Int, _ body: ([PostgresStore]) async throws -> Void) async throws {
        let location = try await PostgresInstances.freshDatabase(server: try server)
        try await PostgresInstances.withInstances(count, on: location, sealer: .forTests, body)
    }

    @Test func instancesStartingTogetherApplyEachMigrationOnce() async throws {
        // A database created empty, so that the instances race to migrate it.
        try await Self.withInstances(4) { stores in
            for store in stores {
                let applied = try await store.appliedMigrations()
                #expect(
                    applied == [
                        "0001_core", "0002_delivery", "0003_revoked_tokens", "0004_poller", "0005_sealed_idempotency", "0006_tenant_indexes",
                        "0007_payload_expiry", "0008_retention", "0009_trace_parent", "0010_time_partitions", "0011_endpoint_policy",
                        "0012_parked_deliveries",
                        "0013_delivery_gates",
                        "0014_inbound_sources",
                        "0015_lease_until",
                        "0016_attempts_unchecked_endpoint",
                        "0017_one_destination_index",
                    ]
                )
            }
        }
    }

    /// A database migrated by a newer Herald is refused at start, naming the migration, before anything is applied.
    @Test func aNewerDatabaseIsRefused() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { _ in }
        _ = try Self.psqlValue(database: location.database, "INSERT INTO herald_migrations VALUES ('0099_from_the_future', 0)")
        let store = PostgresStore(location: location, sealer: .forTests, logger: Self.quietLogger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await store.run() }
            defer { group.cancelAll() }
            let refusal = await #expect(throws: ConfigurationError.self) { try await store.ready() }
            #expect(refusal?.description.contains("0099_from_the_future") == true)
        }
    }

    @Test func instancesClaimingAtOnceNeverShareADelivery() async throws {
        try await Self.withInstances(3) { instances in
            let store = instances[0]
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            for _ in 0..<2 {
                var endpoint = StoreContractTests.endpoint(appID: app.id)
                endpoint.eventTypes = nil
                try await store.createEndpoint(endpoint)
            }
            for index in 0..<150 {
                try await store.createMessage(
                    StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64(index)))
                )
            }
            let now = StoreContractTests.now.adding(seconds: 1)
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for (index, instance) in instances.enumerated() {
                    for worker in 0..<2 {
                        group.addTask {
                            var claimed: [Int64] = []
                            while true {
                                let batch = try await instance.claimDeliveries(
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
    }

    /// Responses kept for idempotency are sealed with the main key: an instance with another key cannot read them.
    @Test func keptResponsesDoNotOpenUnderAnotherKey() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        let first = PostgresStore(location: location, sealer: .forTests, logger: Self.quietLogger)
        let stranger = PostgresStore(location: location, sealer: .forTests, logger: Self.quietLogger)
        try await PostgresInstances.running(first) {
            try await PostgresInstances.running(stranger) {
                let now = Timestamp.now()
                let response = StoredResponse(status: 200, headers: [], body: Array(#"{"token":"portal-secret"}"#.utf8))
                #expect(try await first.claimIdempotencyKey("k", now: now, lockUntil: now.adding(seconds: 5)) == .acquired)
                try await first.completeIdempotencyKey("k", response: response, resourceID: nil, expiresAt: now.adding(seconds: 60))
                #expect(try await first.claimIdempotencyKey("k", now: now, lockUntil: now.adding(seconds: 5)) == .completed(response))
                await #expect(throws: (any Error).self) {
                    try await stranger.claimIdempotencyKey("k", now: now, lockUntil: now.adding(seconds: 5))
                }
            }
        }
    }

    /// Revocation lookups are read together; each still answers for its own hashes, and a logout recorded by one
    /// instance holds on another for the next lookup (no cache in between).
    @Test func revocationLookupsReadTogetherAnswerEachForItsOwnToken() async throws {
        try await Self.withInstances(2) { instances in
            let (revoker, checker) = (instances[0], instances[1])
            let expiry = Timestamp.now().adding(seconds: 600)
            for index in stride(from: 0, to: 64, by: 3) { try await revoker.revokeToken(hash: "h\(index)", expiresAt: expiry) }
            let answers = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<64 {
                    group.addTask { (index, try await checker.isTokenRevoked(hashes: ["other\(index)", "h\(index)"])) }
                }
                return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(answers == Dictionary(uniqueKeysWithValues: (0..<64).map { ($0, $0.isMultiple(of: 3)) }))

            #expect(try await !checker.isTokenRevoked(hashes: ["h1"]))
            try await revoker.revokeToken(hash: "h1", expiresAt: expiry)
            #expect(try await checker.isTokenRevoked(hashes: ["h1"]))
        }
    }

    /// Application lookups are read together; each answers for its own organisation and id or uid, and a change made
    /// on one instance is seen by the next lookup on another.
    @Test func applicationLookupsReadTogetherAnswerEachForItsOwnName() async throws {
        try await Self.withInstances(2) { instances in
            let (writer, reader) = (instances[0], instances[1])
            let apps = (0..<8).map { StoreContractTests.application(uid: "uid\($0)") }
            for app in apps { try await writer.createApplication(app) }
            try await writer.deleteApplication(orgID: StoreContractTests.org, id: apps[7].id)
            // Each lookup: (organisation, id or uid, the application expected).
            var lookups: [(String, String, Application?)] = []
            for (index, app) in apps.enumerated() {
                let live = index == 7 ? nil : app
                lookups += [
                    (StoreContractTests.org, app.id, live), (StoreContractTests.org, "uid\(index)", live), ("org_other", app.id, nil),
                ]
            }
            lookups.append((StoreContractTests.org, "uid-missing", nil))
            let found = try await withThrowingTaskGroup(of: (Int, Application?).self) { group in
                for (index, lookup) in lookups.enumerated() {
                    group.addTask { (index, try await reader.application(orgID: lookup.0, idOrUID: lookup.1)) }
                }
                return try await group.reduce(into: [Int: Application?]()) { $0[$1.0] = $1.1 }
            }
            for (index, lookup) in lookups.enumerated() { #expect(found[index] == lookup.2, "lookup \(lookup.0) \(lookup.1)") }

            var renamed = apps[0]
            renamed.name = "Renamed"
            try await writer.updateApplication(renamed)
            #expect(try await reader.application(orgID: StoreContractTests.org, idOrUID: "uid0")?.name == "Renamed")
        }
    }

    @Test func newWorkOnOneInstanceWakesAnother() async throws {
        try await Self.withInstances(2) { instances in
            let (writer, sleeper) = (instances[0], instances[1])
            #expect(try await holds { sleeper.isListeningForWork })
            let before = sleeper.workNotificationsReceived
            let app = StoreContractTests.application()
            try await writer.createApplication(app)
            var endpoint = StoreContractTests.endpoint(appID: app.id)
            endpoint.eventTypes = nil
            try await writer.createEndpoint(endpoint)
            try await writer.createMessage(StoreContractTests.message(appID: app.id))
            #expect(try await holds { sleeper.workNotificationsReceived > before })
        }
    }

    /// A change announced by one instance reaches every instance's `sharedChanges` (its own by echo), so their API
    /// caches drop what it changed.
    static let revokedHash = String(repeating: "ab", count: 32)

    @Test func changesAnnouncedOnOneInstanceReachAnother() async throws {
        try await Self.withInstances(2) { instances in
            let (writer, reader) = (instances[0], instances[1])
            let news = try #require(reader.sharedChanges)
            #expect(try await holds { news.isFollowing })
            let received = Mutex<[SharedChange]>([])
            news.observe { change in received.withLock { $0.append(change) } }
            await writer.announce(.tokenRevoked(hash: Self.revokedHash))
            await writer.announce(.applications)
            await writer.announce(.sources)
            #expect(try await holds { received.withLock { $0.count >= 3 } })
            #expect(received.withLock { $0 } == [.tokenRevoked(hash: Self.revokedHash), .applications, .sources])
        }
    }

    /// News missed while the listening connection was away are made up for: following again starts every cache over
    /// (`unknown`) before they answer again.
    @Test func aLostListeningConnectionStartsCachesOver() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { instances in
            let news = try #require(instances[0].sharedChanges)
            #expect(try await holds { news.isFollowing })
            let unknown = Mutex(0)
            news.observe { change in if change == .unknown { unknown.withLock { $0 += 1 } } }
            let cut = try Self.psqlValue(
                database: location.database,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
            )
            #expect(cut == "1")
            #expect(try await holds { unknown.withLock { $0 } >= 1 && news.isFollowing })
        }
    }

    /// A claim writes only the lease's columns (`Lease`): no index of `deliveries` may hold them, in its columns or its
    /// condition, and pages keep room, or claims stop being HOT updates and write every index again.
    @Test func claimsWriteNoColumnAnIndexHolds() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { _ in }
        let indexes = "SELECT string_agg(pg_get_indexdef(indexrelid), ' ') FROM pg_index WHERE indrelid = 'deliveries'::regclass"
        let definitions = try Self.psqlValue(database: location.database, indexes)
        #expect(definitions.contains("next_attempt_at"))
        #expect(!definitions.contains("lease_"))
        #expect(try Self.psqlValue(database: location.database, "SELECT reloptions FROM pg_class WHERE relname = 'deliveries'") == "{fillfactor=40}")
    }

    /// Logging an attempt checks no reference to its endpoint (its delivery's reference did), so it takes no lock on
    /// the endpoint's row.
    @Test func attemptsDoNotCheckTheirEndpoint() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { _ in }
        let references = { (table: String) in
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'endpoints'::regclass AND conrelid::regclass::text LIKE '\(table)%'"
        }
        #expect(try Self.psqlValue(database: location.database, references("attempts")) == "0")
        #expect(try Self.psqlValue(database: location.database, references("deliveries")) == "1")
    }

    /// A claim locks only the deliveries it takes: one application's room cut short here leaves the others unlocked
    /// (each lock is a write and a WAL record, paid before only to be thrown away).
    @Test func claimsLockOnlyWhatTheyTake() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { instances in
            let store = instances[0]
            let app = try await Self.backlog(of: 6, in: store)
            let now = StoreContractTests.now.adding(seconds: 1)
            let room = EndpointRoom(cap: 64, appCap: 5, claimedByApp: [app.id: 3])
            let claimed = try await store.claimDeliveries(limit: 50, now: now, leaseUntil: now.adding(seconds: 60), owner: "w", room: room)
            #expect(claimed.count == 2)
        }
        let lockedNotTaken = "SELECT count(*) FROM deliveries WHERE lease_owner IS NULL AND xmax <> 0"
        #expect(try Self.psqlValue(database: location.database, "SELECT count(*) FROM deliveries WHERE lease_owner IS NULL") == "4")
        #expect(try Self.psqlValue(database: location.database, lockedNotTaken) == "0")
    }

    /// An endpoint whose sealed secret cannot be opened (a poisoned row) costs its own deliveries, skipped until their
    /// leases run out, never the claim or the other endpoints' deliveries claimed with them.
    @Test func anUnreadableEndpointCostsOnlyItsOwnDeliveries() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { instances in
            let store = instances[0]
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            var endpoints: [Endpoint] = []
            for _ in 0..<2 {
                var endpoint = StoreContractTests.endpoint(appID: app.id)
                endpoint.eventTypes = nil
                try await store.createEndpoint(endpoint)
                endpoints.append(endpoint)
            }
            var messages: [String: Message] = [:]
            for index in 0..<3 {
                let message = StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64(index)))
                try await store.createMessage(message)
                messages[message.id] = message
            }
            // The poisoned endpoint is the one whose delivery comes first: it carries its message's columns in the claim
            // (`Statements.ClaimDeliveries`), which the healthy endpoint's delivery of that message still gets.
            let first = try Self.psqlValue(database: location.database, "SELECT endpoint_id FROM deliveries ORDER BY id LIMIT 1")
            let poisoned = try #require(endpoints.first { $0.id == first })
            let healthy = try #require(endpoints.first { $0.id != first })
            _ = try Self.psqlValue(
                database: location.database,
                "UPDATE endpoints SET secret = 'sealed2:not-a-sealed-value' WHERE id = '\(poisoned.id)'"
            )
            let now = StoreContractTests.now.adding(seconds: 1)
            let claimed = try await store.claimDeliveries(
                limit: 50,
                now: now,
                leaseUntil: now.adding(seconds: 60),
                owner: "w",
                room: EndpointRoom(cap: 64)
            )
            #expect(claimed.count == 3)
            #expect(claimed.allSatisfy { $0.endpointID == healthy.id && !$0.endpointInactive })
            #expect(claimed.allSatisfy { $0.payload == messages[$0.messageID]?.payload && $0.eventType == messages[$0.messageID]?.eventType })
            #expect(Set(claimed.map(\.messageID)) == Set(messages.keys))
            let leased = "SELECT count(*) FROM deliveries WHERE lease_owner = 'w' AND endpoint_id = '\(poisoned.id)'"
            #expect(try Self.psqlValue(database: location.database, leased) == "3")
        }
    }

    /// Rows another session holds locked when a claim locks what it chose are lost to it, not to the queue: the claim
    /// goes on past them and still takes as many as it may (instances woken together choose the same window).
    @Test func aClaimLosingRowsTakesOthersInstead() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { instances in
            _ = try await Self.backlog(of: 10, in: instances[0])
            let oldest = "SELECT id FROM deliveries ORDER BY next_attempt_at, id LIMIT 3"
            let holder = try Self.psqlHolding(database: location.database, "BEGIN; \(oldest) FOR UPDATE; SELECT pg_sleep(60); COMMIT;")
            defer {
                let holding =
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()"
                _ = try? Self.psqlValue(database: location.database, holding)
                holder.terminate()
            }
            let held = try Self.psqlValue(database: location.database, "SELECT string_agg(id::text, ',') FROM (\(oldest)) o")
            for _ in 0..<100 {
                if try Self.psqlValue(database: location.database, "SELECT count(*) FROM deliveries WHERE xmax <> 0") == "3" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try #require(try Self.psqlValue(database: location.database, "SELECT count(*) FROM deliveries WHERE xmax <> 0") == "3")
            let now = StoreContractTests.now.adding(seconds: 1)
            let claimed = try await instances[0].claimDeliveries(
                limit: 5,
                now: now,
                leaseUntil: now.adding(seconds: 60),
                owner: "w",
                room: EndpointRoom(cap: 64)
            )
            #expect(claimed.count == 5)
            let heldIDs = Set(held.split(separator: ",").compactMap { Int64($0) })
            #expect(heldIDs.count == 3)
            #expect(heldIDs.isDisjoint(with: claimed.map(\.deliveryID)))
        }
    }

    /// An application with one endpoint for every event and `count` messages for it, one millisecond apart from
    /// `StoreContractTests.now` on, so their deliveries fall due in order.
    static func backlog(of count: Int, in store: PostgresStore) async throws -> Application {
        let app = StoreContractTests.application()
        try await store.createApplication(app)
        var endpoint = StoreContractTests.endpoint(appID: app.id)
        endpoint.eventTypes = nil
        try await store.createEndpoint(endpoint)
        for index in 0..<count {
            try await store.createMessage(StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64(index))))
        }
        return app
    }

    /// The test server's URL with `database` in place of its own.
    static func url(of database: String) throws -> String {
        var url = try #require(StoreBackend.postgresURL)
        if let slash = url.lastIndex(of: "/") { url = String(url[..<slash]) + "/" + database }
        return url
    }

    /// `psql` running `sql` in `database` in the background, until it ends or is terminated.
    static func psqlHolding(database: String, _ sql: String) throws -> Process {
        let url = try Self.url(of: database)
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = [url, "-X", "-q", "-c", sql]
        psql.standardOutput = FileHandle.nullDevice
        try psql.run()
        return psql
    }

    /// JIT compilation is off for every session of Herald's role in its database once a store has started (see
    /// `PostgresStore.turnOffJIT`), including sessions opened by others afterwards; it was on before.
    @Test func jitIsOffForHeraldsSessionsInItsDatabase() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        let setting = "SELECT current_setting('jit')"
        try #require(try Self.psqlValue(database: location.database, setting) == "on", "the test server must have JIT on by default")
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { _ in }
        #expect(try Self.psqlValue(database: location.database, setting) == "off")
        // Its own database only: the server's default database is untouched.
        #expect(try Self.psqlValue(database: "postgres", setting) == "on")
    }

    /// JIT set for the database (or the role) is the operator's choice: the store leaves it as it is.
    @Test func jitChosenForTheDatabaseIsLeftAlone() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try Self.server)
        _ = try Self.psqlValue(database: "postgres", "ALTER DATABASE \(location.database) SET jit = on")
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { _ in }
        #expect(try Self.psqlValue(database: location.database, "SELECT current_setting('jit')") == "on")
        let roleSettings =
            "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database() AND s.setrole <> 0"
        #expect(try Self.psqlValue(database: location.database, roleSettings) == "0")
    }

    /// The single value `sql` answers, read with `psql` in `database` of the test server, as the test role.
    static func psqlValue(database: String, _ sql: String) throws -> String {
        let url = try Self.url(of: database)
        let psql = Process()
        let output = Pipe()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = [url, "-X", "-A", "-t", "-c", sql]
        psql.standardOutput = output
        try psql.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        psql.waitUntilExit()
        try #require(psql.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The store does not start (so `herald serve` stops with the error) rather than wait for a database that is not
    /// there; an outage once running is the interop suite's outage test.
    @Test func anUnreachableDatabaseAnswersUnavailableInsteadOfHanging() async throws {
        // Port 1 on loopback: nothing listens, so every connection attempt is refused.
        let location = PostgresLocation(host: "127.0.0.1", port: 1, username: "postgres", password: nil, database: "none")
        let store = PostgresStore(location: location, sealer: .forTests, operationTimeout: .seconds(1), logger: Self.quietLogger)
        await #expect(throws: StorageError.unavailable) {
            try await PostgresInstances.running(store) {}
        }
    }
}
