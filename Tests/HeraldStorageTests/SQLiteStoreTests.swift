import Foundation
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
        #expect(try reopened.appliedMigrations() == ["0001_core", "0002_delivery", "0003_revoked_tokens", "0004_poller", "0005_sealed_idempotency"])
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
