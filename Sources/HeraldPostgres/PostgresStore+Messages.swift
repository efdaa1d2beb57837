import HeraldCore
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Stores the message and fans it out — one delivery per matching endpoint — in one statement (so one round trip
    /// and one commit), then wakes the dispatchers. PostgreSQL groups the commits of concurrent requests itself.
    public func createMessage(_ message: Message, onlyTo endpointID: String?) async throws {
        var builder = SQLBuilder("WITH message AS (INSERT INTO messages")
        let appID = builder.bind(message.appID)
        let eventType = builder.bind(message.eventType)
        let createdAt = builder.bind(message.createdAt.milliseconds)
        builder.append(
            """
             (id, app_id, event_type, event_id, channels, payload, payload_expires_at, created_at)
            VALUES (\(builder.bind(message.id)), \(appID), \(eventType), \(builder.bind(message.eventID)),
                \(builder.bind(JSONColumn.encode(message.channels))), \(builder.bind(message.payload.map { ByteBuffer(bytes: $0) })),
                \(builder.bind(message.payloadExpiresAt.milliseconds)), \(createdAt))
            RETURNING id),
            queued AS (
                INSERT INTO deliveries (msg_id, app_id, endpoint_id, trigger_type, status, next_attempt_at, created_at, updated_at)
            """
        )
        if let endpointID {
            builder.append(" SELECT message.id, \(appID), \(builder.bind(endpointID)), 1, 1, \(createdAt), \(createdAt), \(createdAt) FROM message")
        } else {
            // The Svix rules of `EndpointMatching`, in SQL: no filter takes every type; channels must overlap.
            builder.append(
                """
                 SELECT message.id, \(appID), e.id, 0, 1, \(createdAt), \(createdAt), \(createdAt) FROM message, endpoints e
                WHERE e.app_id = \(appID) AND e.deleted_at IS NULL AND NOT e.disabled
                    AND (e.event_types IS NULL OR e.event_types::jsonb ? \(eventType))
                    AND (e.channels IS NULL OR e.channels::jsonb ?| \(builder.bind(message.channels ?? [])))
                """
            )
        }
        builder.append(" RETURNING 1) SELECT count(*) AS queued FROM queued")
        let query = builder.query
        let queued = try await perform(conflict: .conflict("A message with this eventId already exists")) { client in
            try await client.rows(query).first?.value("queued", as: Int64.self) ?? 0
        }
        if queued > 0 { announceNewWork() }
    }

    public func message(appID: String, idOrEventID: String) async throws -> Message? {
        let column = IDPrefix.message.isID(idOrEventID) ? "id" : "event_id"
        var builder = SQLBuilder("SELECT * FROM messages WHERE app_id = ")
        builder.append("\(builder.bind(appID)) AND \(column) = \(builder.bind(idOrEventID))")
        let query = builder.query
        return try await perform { client in try await client.rows(query).first.map(Message.init(row:)) }
    }

    public func listMessages(appID: String, query: MessageQuery) async throws -> Page<Message> {
        var builder = SQLBuilder("SELECT * FROM messages m WHERE m.app_id = ")
        builder.append(
            "\(builder.bind(appID)) AND m.id >= \(builder.bind(query.idRange.lower)) AND m.id < \(builder.bind(query.idRange.upper))"
        )
        builder.appendMessageFilters(eventTypes: query.eventTypes, channel: query.channel, alias: "m")
        builder.appendPaging(column: "m.id", page: query.page)
        let statement = builder.query
        let rows = try await perform { client in try await client.rows(statement).map(Message.init(row:)) }
        return query.page.page(fromScanned: rows)
    }

    public func expungeMessagePayload(appID: String, messageID: String) async throws {
        try await perform { client in
            try await client.query("UPDATE messages SET payload = NULL WHERE app_id = \(appID) AND id = \(messageID)").drain()
        }
    }
}

extension Message {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row.value("id"),
            appID: try row.value("app_id"),
            eventType: try row.value("event_type"),
            eventID: try row.value("event_id"),
            channels: try JSONColumn.decode([String].self, try row.value("channels")),
            payload: try row.bytes("payload"),
            payloadExpiresAt: try row.timestamp("payload_expires_at"),
            createdAt: try row.timestamp("created_at")
        )
    }
}
