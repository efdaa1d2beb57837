import HeraldCore
import HeraldSQL
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Reads the application's endpoints and chooses the matching ones (`EndpointMatching`), then stores the message and
    /// its fan-out — one delivery per matching endpoint — in one statement (one commit), then wakes the dispatchers.
    /// PostgreSQL groups the commits of concurrent requests itself.
    func storeMessage(_ message: Message, onlyTo endpointID: String?) async throws {
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
        let queued: (deliveries: Int64, feedEntries: Int64)
        if let endpointID {
            bindings.add(endpointID)
            queued = try await insert(bindings.prepared(Statements.MessageToOneEndpoint.self))
        } else {
            let targets = try await fanOutTargets(of: message)
            bindings.add(targets.deliveries)
            bindings.add(targets.feeds)
            queued = try await insert(bindings.prepared(Statements.MessageFanOut.self))
            // After the commit, in one transaction: the message is stored whatever happens here (a failure is logged,
            // not answered: the client must not send it again), and the parking sweep gives any ordered endpoint left
            // without a head its next delivery.
            if !targets.ordered.isEmpty {
                do {
                    let statements = targets.ordered.flatMap { OrderedDeliveries.advance(endpointID: $0, .postgres) }
                    try await write(statements, conflict: nil) { _ in () }
                } catch {
                    logger.error("making an ordered endpoint's next delivery due failed", metadata: ["herald.error": "\(String(reflecting: error))"])
                }
            }
        }
        if queued.feedEntries > 0 { feedChanged.signal() }
        if queued.deliveries > 0 || queued.feedEntries > 0 { announceNewWork() }
    }

    /// The application's endpoints that the message reaches (`EndpointMatching`), read just before the insert: an
    /// endpoint created in between misses this message as it would one accepted a moment earlier; the insert itself
    /// skips one disabled, deleted or turned into a polling endpoint (or back) in between.
    private func fanOutTargets(of message: Message) async throws -> EndpointMatching.Targets {
        var bindings = Bindings()
        bindings.add(message.appID)
        bindings.add(false)
        let statement = bindings.prepared(Statements.CandidateEndpoints.self)
        let candidates = try await perform { client in try await client.rows(statement).map(FanOutCandidates.candidate) }
        return EndpointMatching.targets(
            eventType: message.eventType,
            channels: message.channels,
            payload: message.payload,
            candidates: candidates
        )
    }

    /// Runs a message insert; returns how many deliveries and feed entries it queued.
    private func insert<Text: SendableMetatype>(_ statement: Prepared<Text>) async throws -> (deliveries: Int64, feedEntries: Int64) {
        try await perform(conflict: .duplicate(.messageEventID)) { client in
            guard let row = try await client.committedRows(statement).first else { return (0, 0) }
            return (try row.value("queued", as: Int64.self), try row.value("fed", as: Int64.self))
        }
    }
}
