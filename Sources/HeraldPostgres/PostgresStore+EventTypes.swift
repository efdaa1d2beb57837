import HeraldCore
import PostgresNIO

extension PostgresStore {
    public func createEventType(_ eventType: EventType) async throws {
        let conflict = StorageError.duplicate(.eventTypeName)
        try await transaction(conflict: conflict) { connection in
            // An archived type of the same name is replaced; a live one is a conflict.
            try await connection.query(
                "DELETE FROM event_types WHERE org_id = \(eventType.orgID) AND name = \(eventType.name) AND archived",
                logger: self.logger
            ).drain()
            try await connection.query(
                """
                INSERT INTO event_types
                    (org_id, name, description, archived, deprecated, feature_flag, schemas, created_at, updated_at)
                VALUES (\(eventType.orgID), \(eventType.name), \(eventType.description), \(eventType.archived),
                    \(eventType.deprecated), \(eventType.featureFlag), \(eventType.schemas), \(eventType.createdAt.milliseconds),
                    \(eventType.updatedAt.milliseconds))
                """,
                logger: self.logger
            ).drain()
        }
    }

    public func eventType(orgID: String, name: String) async throws -> EventType? {
        try await perform { client in
            try await client.rows("SELECT * FROM event_types WHERE org_id = \(orgID) AND name = \(name)").first.map(EventType.init(row:))
        }
    }

    public func updateEventType(_ eventType: EventType) async throws {
        try await perform { client in
            try await client.query(
                """
                UPDATE event_types SET description = \(eventType.description), archived = \(eventType.archived),
                    deprecated = \(eventType.deprecated), feature_flag = \(eventType.featureFlag), schemas = \(eventType.schemas),
                    updated_at = \(eventType.updatedAt.milliseconds)
                WHERE org_id = \(eventType.orgID) AND name = \(eventType.name)
                """
            ).drain()
        }
    }

    public func deleteEventType(orgID: String, name: String) async throws {
        try await perform { client in
            try await client.query("DELETE FROM event_types WHERE org_id = \(orgID) AND name = \(name)").drain()
        }
    }

    public func listEventTypes(orgID: String, includeArchived: Bool, page: PageRequest) async throws -> Page<EventType> {
        var builder = SQLBuilder("SELECT * FROM event_types WHERE org_id = ")
        builder.append(builder.bind(orgID))
        if !includeArchived { builder.append(" AND NOT archived") }
        builder.appendPaging(column: "name", page: page)
        let query = builder.query
        let rows = try await perform { client in try await client.rows(query).map(EventType.init(row:)) }
        return page.page(fromScanned: rows)
    }

    public func existingEventTypeNames(orgID: String, among names: [String]) async throws -> Set<String> {
        guard !names.isEmpty else { return [] }
        return try await perform { client in
            Set(
                try await client.rows(
                    "SELECT name FROM event_types WHERE org_id = \(orgID) AND NOT archived AND name = ANY(\(names))"
                ).map { try $0.value("name", as: String.self) }
            )
        }
    }
}

extension EventType {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            orgID: try row.value("org_id"),
            name: try row.value("name"),
            description: try row.value("description"),
            archived: try row.value("archived"),
            deprecated: try row.value("deprecated"),
            featureFlag: try row.value("feature_flag"),
            schemas: try row.value("schemas"),
            createdAt: try row.timestamp("created_at"),
            updatedAt: try row.timestamp("updated_at")
        )
    }
}
