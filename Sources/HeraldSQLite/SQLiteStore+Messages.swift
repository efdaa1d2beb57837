import Foundation
import GRDB
import HeraldCore
import HeraldSQL

extension SQLiteStore {
    /// Stores the message and fans it out — one delivery per matching endpoint — in one fsynced transaction shared
    /// with the messages arriving at the same moment (group commit), then wakes the dispatcher.
    func storeMessage(_ message: Message, onlyTo endpointID: String?) async throws {
        let queued: FanOut
        do {
            let answer = try message.idempotentAnswer.map { try $0.response.sealed(with: sealer, key: $0.key) }
            queued = try await messages.submit(MessageWrite(message: message, onlyTo: endpointID, answer: answer))
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw StorageError.duplicate(.messageEventID)
        }
        if queued.deliveries > 0 { newWork.signal() }
        if queued.feedEntries > 0 { feedChanged.signal() }
    }

    /// Writes one message and its deliveries (and feed entries, for polling endpoints) inside the caller's transaction.
    static func insert(_ message: Message, onlyTo endpointID: String?, db: Database) throws -> FanOut {
        try db.executeCached(
            sql: """
                INSERT INTO messages (id, app_id, event_type, event_id, channels, payload, payload_expires_at, created_at, trace_parent,
                    inbound)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                message.id, message.appID, message.eventType, message.eventID, JSONColumn.encode(message.channels),
                message.payload.map { Data($0) }, message.payloadExpiresAt.milliseconds, message.createdAt.milliseconds,
                message.traceParent, message.inbound?.storedJSON,
            ]
        )
        guard let endpointID else { return try fanOut(message, db: db) }
        if try appendToFeed(message, endpointID: endpointID, onlyIfPoller: true, db: db) {
            return FanOut(deliveries: 0, feedEntries: 1)
        }
        try db.executeCached(
            sql: """
                INSERT INTO deliveries (msg_id, app_id, endpoint_id, trigger_type, status, next_attempt_at, created_at, updated_at)
                VALUES (?, ?, ?, \(TriggerType.manual.sql), \(MessageStatus.pending.sql), ?, ?, ?)
                """,
            arguments: [
                message.id, message.appID, endpointID, message.createdAt.milliseconds, message.createdAt.milliseconds,
                message.createdAt.milliseconds,
            ]
        )
        return FanOut(deliveries: 1, feedEntries: 0)
    }

    /// Completes the message's idempotency key with its sealed answer, inside the transaction that stores it — inserting
    /// the key again if a claim swept it meanwhile (its 5 s lock ran out while the request waited for the disk).
    static func keep(_ sealedAnswer: [UInt8], for message: Message, db: Database) throws {
        guard let answer = message.idempotentAnswer else { return }
        try db.executeCached(
            sql: """
                INSERT INTO idempotency_keys (key, state, lock_until, response, resource_id, expires_at)
                VALUES (?, 'completed', NULL, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET state = 'completed', lock_until = NULL, response = excluded.response,
                    resource_id = excluded.resource_id, expires_at = excluded.expires_at
                """,
            arguments: [answer.key, Data(sealedAnswer), message.id, answer.expiresAt.milliseconds]
        )
    }

    /// Appends the message to a polling endpoint's feed (when `onlyIfPoller`, only if the endpoint is one); returns
    /// whether it did.
    static func appendToFeed(_ message: Message, endpointID: String, onlyIfPoller: Bool, db: Database) throws -> Bool {
        try db.executeCached(
            sql: """
                INSERT INTO poller_feed (endpoint_id, msg_id, created_at)
                SELECT ?, ?, ? WHERE NOT ? OR EXISTS (SELECT 1 FROM endpoints WHERE id = ? AND url = ?)
                """,
            arguments: [endpointID, message.id, message.createdAt.milliseconds, onlyIfPoller, endpointID, EndpointURL.poller]
        )
        return db.changesCount > 0
    }

    /// Inserts a pending delivery for every live, enabled endpoint of the message's application that matches it
    /// (`EndpointMatching`) — parked for an endpoint whose backlog is parked, so it never enters the claims' range, and
    /// for an ordered endpoint, behind its head (`OrderedDeliveries`) —
    /// and a feed entry for each matching polling endpoint.
    static func fanOut(_ message: Message, db: Database) throws -> FanOut {
        let candidates = try db.rows(FanOutCandidates.statement(appID: message.appID, .sqlite)).map(FanOutCandidates.candidate)
        let targets = EndpointMatching.targets(
            eventType: message.eventType,
            channels: message.channels,
            payload: message.payload,
            candidates: candidates
        )
        for endpointID in targets.feeds {
            _ = try appendToFeed(message, endpointID: endpointID, onlyIfPoller: false, db: db)
        }
        for endpointID in targets.deliveries {
            try db.executeCached(
                sql: """
                    INSERT INTO deliveries (msg_id, app_id, endpoint_id, trigger_type, status, next_attempt_at, created_at, updated_at, parked)
                    VALUES (?, ?, ?, \(TriggerType.scheduled.sql), \(MessageStatus.pending.sql), ?, ?, ?,
                        ? OR EXISTS (SELECT 1 FROM parked_endpoints WHERE endpoint_id = ?))
                    """,
                arguments: [
                    message.id, message.appID, endpointID, message.createdAt.milliseconds, message.createdAt.milliseconds,
                    message.createdAt.milliseconds, targets.ordered.contains(endpointID), endpointID,
                ]
            )
        }
        for endpointID in targets.ordered {
            for statement in OrderedDeliveries.advance(endpointID: endpointID, .sqlite) { try db.run(statement) }
        }
        return FanOut(deliveries: targets.deliveries.count, feedEntries: targets.feeds.count)
    }
}
