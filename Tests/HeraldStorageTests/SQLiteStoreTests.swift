import Crypto
import Foundation
import GRDB
import HeraldCore
import HeraldSQLite
import HeraldTesting
import Testing

@Suite struct SQLiteStoreTests {
    @Test func dataSurvivesReopeningTheFile() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("herald.db")
        let app = StoreContractTests.application(uid: "kept")
        let key = SecretSealer.forTests
        do {
            let store = try SQLiteStore(path: path, sealer: key)
            try await store.createApplication(app)
        }
        let reopened = try SQLiteStore(path: path, sealer: key)
        #expect(try await reopened.application(orgID: StoreContractTests.org, idOrUID: "kept") == app)
        #expect(
            try reopened.appliedMigrations() == [
                "0001_core", "0002_delivery", "0003_revoked_tokens", "0004_poller", "0005_sealed_idempotency", "0006_tenant_indexes",
                "0007_payload_expiry", "0008_retention", "0009_trace_parent", "0011_endpoint_policy",
                "0012_parked_deliveries",
                "0013_delivery_gates",
                "0014_inbound_sources",
                "0015_lease_until",
            ]
        )
    }

    /// A database migrated by a newer Herald is refused with the migration named, and left as it was.
    @Test func aNewerDatabaseIsRefusedAndLeftUntouched() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("herald.db")
        let app = StoreContractTests.application(uid: "kept")
        do {
            let store = try SQLiteStore(path: path, sealer: .forTests)
            try await store.createApplication(app)
        }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('0099_from_the_future')")
        }
        let refusal = #expect(throws: ConfigurationError.self) { _ = try SQLiteStore(path: path, sealer: .forTests) }
        #expect(refusal?.description.contains("0099_from_the_future") == true)
        // Nothing was changed: without the future migration the same file opens, with its data.
        try await queue.write { db in try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = '0099_from_the_future'") }
        try queue.close()
        let reopened = try SQLiteStore(path: path, sealer: .forTests)
        #expect(try await reopened.application(orgID: StoreContractTests.org, idOrUID: "kept") == app)
    }

    /// Responses kept for idempotency are sealed with the main key: opened with another key, they do not read.
    @Test func keptResponsesDoNotOpenUnderAnotherKey() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("herald.db")
        let now = Timestamp.now()
        let response = StoredResponse(status: 200, headers: [], body: Array(#"{"token":"portal-secret"}"#.utf8))
        let store = try SQLiteStore(path: path, sealer: .forTests)
        #expect(try await store.claimIdempotencyKey("k", now: now, lockUntil: now.adding(seconds: 5)) == .acquired)
        try await store.completeIdempotencyKey("k", response: response, resourceID: nil, expiresAt: now.adding(seconds: 60))
        let stranger = try SQLiteStore(path: path, sealer: .forTests)
        await #expect(throws: (any Error).self) {
            try await stranger.claimIdempotencyKey("k", now: now, lockUntil: now.adding(seconds: 5))
        }
        var raw = Data()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            raw.append(try Data(contentsOf: URL(fileURLWithPath: directory.file(name))))
        }
        #expect(raw.range(of: Data("portal-secret".utf8)) == nil)
    }

    @Test func theDatabaseFilesHoldNoSecretInTheClear() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("herald.db"), sealer: .forTests)
        let app = StoreContractTests.application()
        try await store.createApplication(app)
        let hmac = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let ed25519 = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="
        var endpoint = StoreContractTests.endpoint(appID: app.id)
        endpoint.secret = try #require(EndpointSecret(parsing: hmac))
        endpoint.previousSecrets = [ExpiringSecret(secret: try #require(EndpointSecret(parsing: ed25519)), expiresAt: .now().adding(seconds: 60))]
        endpoint.headers = ["Authorization": "Bearer top-secret-token"]
        try await store.createEndpoint(endpoint)
        #expect(try await store.endpoint(appID: app.id, idOrUID: endpoint.id) == endpoint)

        var raw = Data()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            raw.append(try Data(contentsOf: URL(fileURLWithPath: directory.file(name))))
        }
        let needles = ["whsec_", "whsk_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "6Xb/dCcHpPea21PS1N9VY", "top-secret-token"]
        for needle in needles {
            #expect(raw.range(of: Data(needle.utf8)) == nil, "\(needle) is in the database files")
        }
        // The secret bytes themselves, not only their text.
        #expect(raw.range(of: Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!) == nil)
    }

    @Test func aWrongMainKeyCannotReadSecrets() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("herald.db")
        let app = StoreContractTests.application()
        let endpoint = StoreContractTests.endpoint(appID: app.id)
        do {
            let store = try SQLiteStore(path: path, sealer: .forTests)
            try await store.createApplication(app)
            try await store.createEndpoint(endpoint)
        }
        let wrong = try SQLiteStore(path: path, sealer: .forTests)
        await #expect(throws: (any Error).self) { try await wrong.endpoint(appID: app.id, idOrUID: endpoint.id) }
    }

    @Test func commitsAreFsyncedWithWAL() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("herald.db"), sealer: .forTests)
        #expect(try store.pragma("journal_mode") == "wal")
        #expect(try store.pragma("synchronous") == "2")
    }
}

/// Sealed columns are bound to their row: copied elsewhere they do not open, and values sealed unbound by an earlier
/// Herald are sealed again bound when the store opens.
@Suite struct SealedColumnBindingTests {
    static let keyText = SecretSealer.generateKeyText()

    static func twoEndpoints(in store: SQLiteStore) async throws -> (Endpoint, Endpoint) {
        let app = StoreContractTests.application()
        try await store.createApplication(app)
        var first = StoreContractTests.endpoint(appID: app.id)
        first.secret = try #require(EndpointSecret(parsing: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        first.headers = ["Authorization": "Bearer first"]
        first.previousSecrets = []
        let second = StoreContractTests.endpoint(appID: app.id)
        try await store.createEndpoint(first)
        try await store.createEndpoint(second)
        return (first, second)
    }

    @Test func aSecretCopiedOntoAnotherEndpointDoesNotOpen() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("herald.db")
        let store = try SQLiteStore(path: path, sealer: try SecretSealer(parsing: Self.keyText))
        let (first, second) = try await Self.twoEndpoints(in: store)
        let database = try DatabaseQueue(path: path)
        try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE endpoints SET (secret, headers) = (SELECT secret, headers FROM endpoints WHERE id = ?) WHERE id = ?
                    """,
                arguments: [first.id, second.id]
            )
        }
        await #expect(throws: (any Error).self) { try await store.endpoint(appID: second.appID, idOrUID: second.id) }
        #expect(try await store.endpoint(appID: first.appID, idOrUID: first.id) == first)
    }

    @Test func secretsSealedUnboundAreSealedBoundOnceByTheUpgrade() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("herald.db")
        let sealer = try SecretSealer(parsing: Self.keyText)
        let (first, second) = try await Self.twoEndpoints(in: try SQLiteStore(path: path, sealer: sealer))
        // As Herald 0.1 wrote them: ChaCha20-Poly1305 under the main key, no associated data.
        let key = SymmetricKey(data: try #require(Data(base64Encoded: Self.keyText)))
        func unbound(_ text: String) throws -> String {
            "sealed1:" + (try ChaChaPoly.seal(Data(text.utf8), using: key)).combined.base64EncodedString()
        }
        let columns = [try unbound(first.secret.description), try unbound("[]"), try unbound(#"{"Authorization":"Bearer first"}"#)]
        let database = try DatabaseQueue(path: path)
        // The database as 0.1 left it: its endpoints sealed unbound, the later migrations not applied.
        try await database.write { db in
            try db.execute(
                sql: "UPDATE endpoints SET secret = ?, previous_secrets = ?, headers = ? WHERE id = ?",
                arguments: [columns[0], columns[1], columns[2], first.id]
            )
            try db.execute(
                sql: """
                    DELETE FROM grdb_migrations
                        WHERE identifier IN ('0005_sealed_idempotency', '0006_tenant_indexes', '0007_payload_expiry', '0008_retention', '0009_trace_parent');
                    DROP INDEX idempotency_keys_resource; ALTER TABLE idempotency_keys DROP COLUMN resource_id;
                    DROP INDEX deliveries_app_open; DROP INDEX messages_payload_expiry;
                    DROP INDEX deliveries_msg; DROP INDEX poller_feed_msg; ALTER TABLE messages DROP COLUMN trace_parent;
                    """
            )
        }
        let upgraded = try SQLiteStore(path: path, sealer: sealer)
        #expect(try await upgraded.endpoint(appID: first.appID, idOrUID: first.id) == first)
        let stored = try await database.read { db in
            try String.fetchAll(db, sql: "SELECT secret || previous_secrets || headers FROM endpoints WHERE id = ?", arguments: [first.id])
        }
        #expect(stored.count == 1 && !stored[0].contains("sealed1:"))

        // Later, an unbound value planted in a row is not laundered into a bound one: it never opens.
        try await database.write { db in
            try db.execute(sql: "UPDATE endpoints SET secret = ? WHERE id = ?", arguments: [columns[0], second.id])
        }
        let reopened = try SQLiteStore(path: path, sealer: sealer)
        await #expect(throws: (any Error).self) { try await reopened.endpoint(appID: second.appID, idOrUID: second.id) }
    }

    /// A claim that meets a row it cannot read (a secret copied from another endpoint) skips that row only: the
    /// other endpoints' deliveries go out as usual.
    @Test func anUnreadableEndpointDoesNotStopOthersDeliveries() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("herald.db")
        let store = try SQLiteStore(path: path, sealer: try SecretSealer(parsing: Self.keyText))
        var (first, second) = try await Self.twoEndpoints(in: store)
        first.eventTypes = nil
        second.eventTypes = nil
        try await store.updateEndpoint(first)
        try await store.updateEndpoint(second)
        let database = try DatabaseQueue(path: path)
        let (firstID, secondID) = (first.id, second.id)
        try await database.write { db in
            try db.execute(
                sql: "UPDATE endpoints SET secret = (SELECT secret FROM endpoints WHERE id = ?) WHERE id = ?",
                arguments: [firstID, secondID]
            )
        }
        for _ in 0..<3 { try await store.createMessage(StoreContractTests.message(appID: first.appID)) }
        let now = StoreContractTests.now
        let claimed = try await store.claimDeliveries(
            limit: 10,
            now: now,
            leaseUntil: now.adding(seconds: 60),
            owner: "w",
            room: EndpointRoom(cap: 64)
        )
        #expect(claimed.count == 3)
        #expect(claimed.allSatisfy { $0.endpointID == first.id })
    }

    /// A full disk, an I/O error or a busy database is "not now" (the API answers 503), a constraint is not.
    @Test func sqlitesNotNowAnswersAreTransient() {
        #expect(DatabaseError(resultCode: .SQLITE_FULL).isTransient)
        #expect(DatabaseError(resultCode: .SQLITE_IOERR).isTransient)
        #expect(DatabaseError(resultCode: .SQLITE_BUSY).isTransient)
        #expect(!DatabaseError(resultCode: .SQLITE_CONSTRAINT).isTransient)
    }
}
