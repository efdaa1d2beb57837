import HeraldCore
import HeraldSQL
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Stores the message and its fan-out — one delivery per matching endpoint — then wakes the dispatchers. Messages
    /// arriving together share one statement and one commit (`StatementBatcher`); each is answered once that commit is
    /// done. A message whose event id is taken is refused alone, by the statement itself.
    func storeMessage(_ message: Message, onlyTo endpointID: String?) async throws {
        guard let endpointID else {
            let stored = try await messages.submit(
                message,
                splits: Self.causedByEntry,
                run: { batch in try await self.storeFannedOut(batch) }
            )
            guard stored else { throw StorageError.duplicate(.messageEventID) }
            return
        }
        var bindings = MessageColumns.single(message)
        bindings.add(endpointID)
        let answer = try message.idempotentAnswer.map { try $0.response.sealed(with: sealer, key: $0.key) }
        bindings.add(message.idempotentAnswer?.key)
        bindings.add(answer.map { ByteBuffer(bytes: $0) })
        bindings.add(message.idempotentAnswer?.expiresAt.milliseconds)
        let statement = bindings.statement(Statements.MessageToOneEndpoint.self)
        announce(
            try await perform(conflict: .duplicate(.messageEventID)) { client in
                guard let row = try await client.committedRows(statement).first else { return (0, 0) }
                return (try row.value("queued", as: Int64.self), try row.value("fed", as: Int64.self))
            }
        )
    }

    /// Reads the endpoints of the batch's applications, chooses each message's targets (`EndpointMatching`) and stores
    /// every message with its fan-out in one statement; returns, per message, whether it was stored (false: its event
    /// id was taken).
    private func storeFannedOut(_ batch: [Message]) async throws -> [Bool] {
        let candidates = try await fanOutCandidates(appIDs: Set(batch.map(\.appID)))
        let targets = batch.map { message in
            EndpointMatching.targets(
                eventType: message.eventType,
                channels: message.channels,
                payload: message.payload,
                candidates: candidates[message.appID] ?? []
            )
        }
        var leases = AcceptanceLeases(taker: acceptanceTaker.withLock { $0 })
        var columns = MessageColumns()
        var ordered: Set<String> = []
        let rows: [PostgresRandomAccessRow]
        do {
            for (message, targets) in zip(batch, targets) { leases.reserve(for: message, targets: targets) }
            if !leases.endpointsReserved.isEmpty { leases.read(try await sendingEndpoints(leases.endpointsReserved), sealer: sealer) }
            for (message, targets) in zip(batch, targets) {
                let answer = try message.idempotentAnswer.map { try $0.response.sealed(with: sealer, key: $0.key) }
                columns.append(message, targets: targets, sealedAnswer: answer) { endpointID in
                    leases.leases(messageID: message.id, endpointID: endpointID)
                }
                ordered.formUnion(targets.ordered)
            }
            let statement = columns.bindings(leases: leases).statement(Statements.MessagesFanOut.self)
            rows = try await insertBatch(statement)
        } catch {
            leases.giveBack()
            throw error
        }
        let queued: (deliveries: Int64, feedEntries: Int64)
        let refused: Set<Int64>
        let leased: (ids: [Int64], messages: [String], endpoints: [String])
        // Past the commit: a row that cannot be read must not split the batch (its messages would be written again and
        // answered 409), so it fails the batch as the database's fault. Its leased deliveries are claimed again once
        // their leases run out.
        do {
            guard let row = rows.first else { throw StorageError.unreadable("no answer") }
            queued = (try row.value("queued", as: Int64.self), try row.value("fed", as: Int64.self))
            refused = Set(try row.value("refused", as: [Int64].self))
            leased = (
                try row.value("leased_ids", as: [Int64].self), try row.value("leased_messages", as: [String].self),
                try row.value("leased_endpoints", as: [String].self)
            )
        } catch {
            leases.giveBack()
            throw StorageError.unreadable("the answer of a committed message batch could not be read")
        }
        leases.handOver(ids: leased.ids, messageIDs: leased.messages, endpointIDs: leased.endpoints, batch: batch)
        // After the commit, in one transaction: the messages are stored whatever happens here (a failure is logged, not
        // answered: the clients must not send them again), and the parking sweep gives any ordered endpoint left without
        // a head its next delivery.
        if !ordered.isEmpty {
            do {
                let statements = ordered.sorted().flatMap { OrderedDeliveries.advance(endpointID: $0, .postgres) }
                try await write(statements, conflict: nil) { _ in () }
            } catch {
                logger.error("making an ordered endpoint's next delivery due failed", metadata: ["herald.error": "\(String(reflecting: error))"])
            }
        }
        // What was leased here is being sent: only the rest is news for the dispatchers. (Wrapping: a count the
        // database got wrong costs at most a needless announcement, never a trap.)
        announce((queued.deliveries &- Int64(leased.ids.count), queued.feedEntries))
        return batch.indices.map { !refused.contains(Int64($0) + 1) }
    }

    /// Runs a batch's insert, once more (up to three times in all) when PostgreSQL ended it for a lost race for locks:
    /// it rolled back whole, and nothing was answered.
    private func insertBatch(_ statement: Statement<Statements.MessagesFanOut>) async throws -> [PostgresRandomAccessRow] {
        var attempt = 1
        while true {
            do {
                return try await perform { client in try await client.committedRows(statement) }
            } catch let error as PSQLError where attempt < 3 && Self.endedByLockOrder(error) {
                attempt += 1
            }
        }
    }

    /// Wakes the dispatchers (here and, through NOTIFY, elsewhere) and the feed readers for what an insert queued.
    private func announce(_ queued: (deliveries: Int64, feedEntries: Int64)) {
        if queued.feedEntries > 0 { feedChanged.signal() }
        if queued.deliveries > 0 || queued.feedEntries > 0 { announceNewWork() }
    }

    /// The live, enabled endpoints of each application, read just before the insert: an endpoint created in between
    /// misses these messages as it would ones accepted a moment earlier; the insert itself skips one disabled, deleted
    /// or turned into a polling endpoint (or back) in between.
    private func fanOutCandidates(appIDs: Set<String>) async throws -> [String: [EndpointMatching.Candidate]] {
        var bindings = Bindings()
        bindings.add(Array(appIDs))
        let statement = bindings.statement(Statements.CandidateEndpoints.self)
        let rows = try await perform { client in try await client.rows(statement) }
        var candidates: [String: [EndpointMatching.Candidate]] = [:]
        for row in rows { candidates[try row.value("app_id", as: String.self), default: []].append(try FanOutCandidates.candidate(row)) }
        return candidates
    }

    /// What deliveries to these endpoints are sent with (`Statements.SendingEndpoints`).
    private func sendingEndpoints(_ endpointIDs: [String]) async throws -> [PostgresRandomAccessRow] {
        var bindings = Bindings()
        bindings.add(endpointIDs)
        let statement = bindings.statement(Statements.SendingEndpoints.self)
        return try await perform { client in try await client.rows(statement) }
    }
}

/// The columns of `Statements.MessagesFanOut`, one array per column; a value that may be absent has a `has` column
/// beside it and a placeholder of its type.
struct MessageColumns {
    private var id: [String] = []
    private var appID: [String] = []
    private var eventType: [String] = []
    private var hasEventID: [Bool] = []
    private var eventID: [String] = []
    private var hasChannels: [Bool] = []
    private var channels: [String] = []
    private var hasPayload: [Bool] = []
    private var payload: [ByteBuffer] = []
    private var payloadExpiresAt: [Int64] = []
    private var createdAt: [Int64] = []
    private var hasTraceParent: [Bool] = []
    private var traceParent: [String] = []
    private var hasInbound: [Bool] = []
    private var inbound: [String] = []
    private var deliveryMessage: [String] = []
    private var deliveryEndpoint: [String] = []
    private var deliveryApp: [String] = []
    private var deliveryCreatedAt: [Int64] = []
    private var deliveryArrival: [Int64] = []
    private var deliveryHasEventID: [Bool] = []
    private var deliveryLease: [Bool] = []
    private var feedMessage: [String] = []
    private var feedEndpoint: [String] = []
    private var feedCreatedAt: [Int64] = []
    private var feedArrival: [Int64] = []
    private var feedHasEventID: [Bool] = []
    private var answerKey: [String] = []
    private var answerMessage: [String] = []
    private var answer: [ByteBuffer] = []
    private var answerExpiresAt: [Int64] = []

    /// `lease` says, per delivery, whether to lease it on acceptance (`AcceptanceLeases`).
    mutating func append(
        _ message: Message,
        targets: EndpointMatching.Targets,
        sealedAnswer: [UInt8]?,
        lease: (String) -> Bool = { _ in false }
    ) {
        if let kept = message.idempotentAnswer, let sealedAnswer {
            answerKey.append(kept.key)
            answerMessage.append(message.id)
            answer.append(ByteBuffer(bytes: sealedAnswer))
            answerExpiresAt.append(kept.expiresAt.milliseconds)
        }
        let channelsText = JSONColumn.encode(message.channels)
        id.append(message.id)
        appID.append(message.appID)
        eventType.append(message.eventType)
        hasEventID.append(message.eventID != nil)
        eventID.append(message.eventID ?? "")
        hasChannels.append(channelsText != nil)
        channels.append(channelsText ?? "")
        hasPayload.append(message.payload != nil)
        payload.append(ByteBuffer(bytes: message.payload ?? []))
        payloadExpiresAt.append(message.payloadExpiresAt.milliseconds)
        createdAt.append(message.createdAt.milliseconds)
        hasTraceParent.append(message.traceParent != nil)
        traceParent.append(message.traceParent ?? "")
        hasInbound.append(message.inbound != nil)
        inbound.append(message.inbound?.storedJSON ?? "")
        // The message's place in the batch, from 1: `WITH ORDINALITY` numbers `input` the same way.
        let arrival = Int64(clamping: id.count)
        for endpointID in targets.deliveries {
            deliveryMessage.append(message.id)
            deliveryEndpoint.append(endpointID)
            deliveryApp.append(message.appID)
            deliveryCreatedAt.append(message.createdAt.milliseconds)
            deliveryArrival.append(arrival)
            deliveryHasEventID.append(message.eventID != nil)
            deliveryLease.append(lease(endpointID))
        }
        for endpointID in targets.feeds {
            feedMessage.append(message.id)
            feedEndpoint.append(endpointID)
            feedCreatedAt.append(message.createdAt.milliseconds)
            feedArrival.append(arrival)
            feedHasEventID.append(message.eventID != nil)
        }
    }

    func bindings(leases: AcceptanceLeases) -> Bindings {
        var bindings = Bindings()
        bindings.add(id)
        bindings.add(appID)
        bindings.add(eventType)
        bindings.add(hasEventID)
        bindings.add(eventID)
        bindings.add(hasChannels)
        bindings.add(channels)
        bindings.add(hasPayload)
        bindings.add(payload)
        bindings.add(payloadExpiresAt)
        bindings.add(createdAt)
        bindings.add(hasTraceParent)
        bindings.add(traceParent)
        bindings.add(deliveryMessage)
        bindings.add(deliveryEndpoint)
        bindings.add(feedMessage)
        bindings.add(feedEndpoint)
        bindings.add(hasInbound)
        bindings.add(inbound)
        bindings.add(answerKey)
        bindings.add(answerMessage)
        bindings.add(answer)
        bindings.add(answerExpiresAt)
        bindings.add(deliveryApp)
        bindings.add(deliveryCreatedAt)
        bindings.add(deliveryArrival)
        bindings.add(deliveryHasEventID)
        bindings.add(feedCreatedAt)
        bindings.add(feedArrival)
        bindings.add(feedHasEventID)
        bindings.add(deliveryLease)
        bindings.add(leases.owner)
        bindings.add(leases.leaseUntil.milliseconds)
        bindings.add(leases.now.milliseconds)
        return bindings
    }

    /// One message's columns as the parameters `$1`–`$9` of a single-message statement.
    static func single(_ message: Message) -> Bindings {
        var bindings = Bindings()
        bindings.add(message.id)
        bindings.add(message.appID)
        bindings.add(message.eventType)
        bindings.add(message.eventID)
        bindings.add(JSONColumn.encode(message.channels))
        bindings.add(message.payload.map { ByteBuffer(bytes: $0) })
        bindings.add(message.payloadExpiresAt.milliseconds)
        bindings.add(message.createdAt.milliseconds)
        bindings.add(message.traceParent)
        return bindings
    }
}
