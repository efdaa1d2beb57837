import HeraldCore
import HeraldDelivery
import HeraldSQLite
import HeraldTesting
import Logging
import Testing

@Suite struct RetentionTests {
    @Test func aSweepDeletesEveryDuePayloadBatchByBatchAndNothingElse() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("herald.db"), sealer: .forTests)
        let now = Timestamp.now()
        let app = Application(
            id: IDPrefix.application.makeID(timestampMs: now.milliseconds),
            orgID: "org_expiry",
            uid: nil,
            name: "A",
            throttleRate: nil,
            metadata: [:],
            createdAt: now,
            updatedAt: now
        )
        try await store.createApplication(app)
        var messages: [Message] = []
        for index in 0..<6 {
            let at = now.adding(milliseconds: Int64(index - 10))
            let message = Message(
                id: IDPrefix.message.makeID(timestampMs: at.milliseconds),
                appID: app.id,
                eventType: "a.b",
                eventID: nil,
                channels: nil,
                payload: Array(#"{"n":\#(index)}"#.utf8),
                // Five expired a moment ago, one kept for an hour.
                payloadExpiresAt: index < 5 ? now.adding(seconds: -1) : now.adding(seconds: 3600),
                createdAt: at
            )
            try await store.createMessage(message)
            messages.append(message)
        }
        let retention = Retention(store: store, period: nil, batchSize: 2, logger: Logger(label: "test"))
        #expect(await retention.sweep().payloads == 5)
        #expect(await retention.sweep().payloads == 0)
        for (index, message) in messages.enumerated() {
            let stored = try #require(try await store.message(appID: app.id, idOrEventID: message.id))
            #expect((stored.payload == nil) == (index < 5))
        }
    }
}
