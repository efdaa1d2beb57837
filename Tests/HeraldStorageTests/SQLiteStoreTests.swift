import HeraldCore
import HeraldSQLite
import HeraldTesting
import Testing

@Suite struct SQLiteStoreTests {
    @Test func dataSurvivesReopeningTheFile() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("herald.db")
        let app = StoreContractTests.application(uid: "kept")
        do {
            let store = try SQLiteStore(path: path)
            try await store.createApplication(app)
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.application(orgID: StoreContractTests.org, idOrUID: "kept") == app)
        #expect(try reopened.appliedMigrations() == ["0001_core", "0002_delivery", "0003_revoked_tokens"])
    }

    @Test func commitsAreFsyncedWithWAL() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("herald.db"))
        #expect(try store.pragma("journal_mode") == "wal")
        #expect(try store.pragma("synchronous") == "2")
    }
}
