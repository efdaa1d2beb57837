import Foundation
import HeraldCore
import HeraldTesting
import Logging
import Testing

@testable import HeraldPostgres

/// PostgreSQL's time partitions: made ahead, dropped whole once older than retention (never while a delivery of theirs
/// is open), and an upgrade that moves what it finds into a history partition.
@Suite(.enabled(if: StoreBackend.postgresURL != nil, "needs HERALD_TEST_POSTGRES_URL"))
struct PostgresPartitionTests {
    typealias Contract = StoreContractTests

    @Test func oldPartitionsAreDroppedWholeButNotWhileADeliveryIsOpen() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try PostgresStoreTests.server)
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { stores in
            let store = stores[0]
            let app = Contract.application()
            try await store.createApplication(app)
            var endpoint = Contract.endpoint(appID: app.id)
            endpoint.eventTypes = nil
            try await store.createEndpoint(endpoint)
            // Hour-wide partitions after the week-wide ones made at start.
            let hour: Int64 = 3_600
            let last = try #require(try await store.timePartitions().last)
            let base = Timestamp(milliseconds: (last.upperSeconds / hour + 2) * hour * 1000)
            _ = try await store.maintainPartitions(now: base, cutoff: nil, widthSeconds: hour)
            let delivered = Contract.message(appID: app.id, eventID: "evt-delivered", at: base.adding(seconds: 600))
            let open = Contract.message(appID: app.id, eventID: "evt-open", at: base.adding(seconds: hour + 600))
            let recent = Contract.message(appID: app.id, eventID: "evt-recent", at: base.adding(seconds: 2 * hour + 600))
            for message in [delivered, open, recent] { try await store.createMessage(message) }
            for message in [delivered, open, recent] {
                #expect(try Self.partitionName(of: message.id, location: location).hasPrefix("messages_p"))
            }
            let claimed = try await store.claimDeliveries(
                limit: 8,
                now: base.adding(seconds: 3 * hour),
                leaseUntil: base.adding(seconds: 4 * hour),
                owner: "w",
                room: EndpointRoom(cap: 8)
            )
            #expect(claimed.count == 3)
            func complete(_ task: DeliveryTask) async throws {
                try await LiveAndUpkeepContractTests.succeed(task, in: store, at: base.adding(seconds: 3 * hour))
            }
            for task in claimed where task.messageID != open.id { try await complete(task) }

            // Everything before base + 2 h is older than retention: the partition of `delivered` goes whole, that of
            // `open` stays while its delivery is leased (its other messages too), and the one the cutoff falls in waits.
            let cutoff = base.adding(seconds: 2 * hour + 60)
            let upkeep = try await store.maintainPartitions(now: base.adding(seconds: 3 * hour), cutoff: cutoff, widthSeconds: hour)
            #expect(upkeep.failures.isEmpty)
            #expect(upkeep.dropped > 0)
            // Rows are pruned one by one only before the partition that was due two widths ago: not `open`'s.
            #expect(upkeep.rowsBefore == base)
            #expect(try await store.message(appID: app.id, idOrEventID: delivered.id) == nil)
            #expect(try await LiveAndUpkeepContractTests.attempts(store, appID: app.id, messageID: delivered.id).isEmpty)
            #expect(try await store.message(appID: app.id, idOrEventID: open.id) != nil)
            #expect(try await store.message(appID: app.id, idOrEventID: recent.id) != nil)
            #expect(try await LiveAndUpkeepContractTests.attempts(store, appID: app.id, messageID: recent.id).count == 1)
            let partitions = try await store.timePartitions()
            #expect(!partitions.contains { $0.lower <= delivered.createdAt && delivered.createdAt < $0.upper })
            #expect(partitions.contains { $0.lower <= open.createdAt && open.createdAt < $0.upper })
            // Made ahead of the `now` given, to the horizon.
            #expect(partitions.last.map { $0.upper.seconds >= base.seconds + 3 * hour + PostgresStore.horizonSeconds(widthSeconds: hour) } == true)

            // The dropped message's event id is free again; the others' are still taken.
            try await store.createMessage(Contract.message(appID: app.id, eventID: "evt-delivered", at: base.adding(seconds: 2 * hour + 700)))
            await #expect(throws: StorageError.self) {
                try await store.createMessage(Contract.message(appID: app.id, eventID: "evt-open", at: base.adding(seconds: 2 * hour + 800)))
            }

            // Once its delivery ends, the held partition goes too.
            try await complete(try #require(claimed.first { $0.messageID == open.id }))
            let later = try await store.maintainPartitions(now: base.adding(seconds: 3 * hour), cutoff: cutoff, widthSeconds: hour)
            #expect(later.dropped == 1)
            #expect(try await store.message(appID: app.id, idOrEventID: open.id) == nil)
            #expect(try Self.psql(location, "SELECT count(*) FROM deliveries WHERE msg_id = '\(open.id)'") == "0")
            #expect(try Self.psql(location, "SELECT count(*) FROM messages_default") == "0")
        }
    }

    @Test func anUpgradeKeepsWhatItFindsInAHistoryPartition() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try PostgresStoreTests.server)
        // The schema as Herald left it before time partitions, with a message, its delivery and its attempt.
        let before = PostgresMigrations.all.prefix { $0.identifier != "0010_time_partitions" }
        let app = Contract.application()
        let endpoint = Contract.endpoint(appID: app.id)
        let old = Contract.message(appID: app.id, eventID: "evt-old", at: Timestamp.now().adding(seconds: -86_400))
        let attemptID = IDPrefix.attempt.makeID(timestampMs: old.createdAt.milliseconds)
        var script = ["BEGIN;", "CREATE TABLE herald_migrations (identifier TEXT PRIMARY KEY, applied_at BIGINT NOT NULL);"]
        for migration in before {
            script += migration.statements.map { $0 + ";" }
            script.append("INSERT INTO herald_migrations VALUES ('\(migration.identifier)', 0);")
        }
        let t = old.createdAt.milliseconds
        script += [
            "INSERT INTO applications (id, org_id, name, created_at, updated_at) VALUES ('\(app.id)', '\(app.orgID)', 'App', \(t), \(t));",
            "INSERT INTO endpoints (id, app_id, url, secret, created_at, updated_at) VALUES ('\(endpoint.id)', '\(app.id)', 'https://example.com', 'x', \(t), \(t));",
            """
            INSERT INTO messages (id, app_id, event_type, event_id, payload, payload_expires_at, created_at)
                VALUES ('\(old.id)', '\(app.id)', 'a.b', 'evt-old', convert_to('{"a": 1}', 'UTF8'), \(t + 3_600_000), \(t));
            """,
            """
            INSERT INTO deliveries (msg_id, app_id, endpoint_id, trigger_type, status, attempt_count, created_at, updated_at)
                VALUES ('\(old.id)', '\(app.id)', '\(endpoint.id)', 0, 0, 1, \(t), \(t));
            """,
            """
            INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, response, response_status_code, response_duration_ms,
                status, trigger_type, created_at)
                VALUES ('\(attemptID)', '\(old.id)', '\(endpoint.id)', '\(app.id)', 'https://example.com', 'ok', 200, 5, 0, 0, \(t));
            """,
            "COMMIT;",
        ]
        _ = try Self.psql(location, script.joined(separator: "\n"))

        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { stores in
            let store = stores[0]
            #expect(try await store.appliedMigrations().contains("0010_time_partitions"))
            let kept = try #require(try await store.message(appID: app.id, idOrEventID: "evt-old"))
            #expect(kept.id == old.id && kept.payload == Array(#"{"a": 1}"#.utf8))
            #expect(try await LiveAndUpkeepContractTests.attempts(store, appID: app.id, messageID: old.id).map(\.id) == [attemptID])
            #expect(try Self.partitionName(of: old.id, location: location).hasPrefix("messages_p0_"))
            await #expect(throws: StorageError.self) {
                try await store.createMessage(Contract.message(appID: app.id, eventID: "evt-old", at: .now()))
            }
            // What arrives after the upgrade (and the minute the history partition ends on) lands in a partition made
            // at start, not in the default one.
            let fresh = Contract.message(appID: app.id, at: Timestamp.now().adding(seconds: 120))
            try await store.createMessage(fresh)
            let partition = try #require(TimePartition(messagesTable: try Self.partitionName(of: fresh.id, location: location)))
            #expect(!partition.isHistory)
        }
    }

    /// With no reference from deliveries to messages, a resend that races retention can leave a delivery whose
    /// message is gone: claiming it says so, and the dispatcher ends it instead of claiming it again and again.
    @Test func aDeliveryWhoseMessageIsGoneIsClaimedInactive() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try PostgresStoreTests.server)
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { stores in
            let store = stores[0]
            let endpoint = try await DeliveryOutcomeContractTests.endpoint(in: store)
            let message = Contract.message(appID: endpoint.appID, at: Timestamp.now().adding(seconds: 120))
            try await store.createMessage(message)
            _ = try Self.psql(location, "DELETE FROM messages WHERE id = '\(message.id)'")
            let claimed = try await store.claimDeliveries(
                limit: 8,
                now: message.createdAt,
                leaseUntil: message.createdAt.adding(seconds: 60),
                owner: "w",
                room: EndpointRoom(cap: 8)
            )
            #expect(claimed.map(\.messageID) == [message.id])
            #expect(claimed.first?.endpointInactive == true)
        }
    }

    /// The partition holding a message.
    static func partitionName(of messageID: String, location: PostgresLocation) throws -> String {
        try psql(location, "SELECT tableoid::regclass::text FROM messages WHERE id = '\(messageID)'")
    }

    /// Runs `sql` with psql on the database at `location`; returns its unaligned output.
    static func psql(_ location: PostgresLocation, _ sql: String) throws -> String {
        var url = try #require(StoreBackend.postgresURL)
        if let slash = url.lastIndex(of: "/") { url = String(url[..<slash]) + "/" + location.database }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "psql failed: \(sql)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
