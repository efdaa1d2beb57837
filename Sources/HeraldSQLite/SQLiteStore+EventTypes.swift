import GRDB
import HeraldCore

extension SQLiteStore {
    public func createEventType(_ eventType: EventType) async throws {
        let conflict = StorageError.duplicate(.eventTypeName)
        try await write(conflict: conflict) { db in
            // An archived type of the same name is replaced; a live one is a conflict.
            try db.execute(
                sql: "DELETE FROM event_types WHERE org_id = ? AND name = ? AND archived = 1",
                arguments: [eventType.orgID, eventType.name]
            )
            try db.execute(
                sql: """
                    INSERT INTO event_types
                        (org_id, name, description, archived, deprecated, feature_flag, schemas, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    eventType.orgID, eventType.name, eventType.description, eventType.archived, eventType.deprecated,
                    eventType.featureFlag, eventType.schemas, eventType.createdAt.milliseconds,
                    eventType.updatedAt.milliseconds,
                ]
            )
        }
    }

    public func eventType(orgID: String, name: String) async throws -> EventType? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM event_types WHERE org_id = ? AND name = ?", arguments: [orgID, name])
                .map(EventType.init(row:))
        }
    }

    public func updateEventType(_ eventType: EventType) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE event_types SET description = ?, archived = ?, deprecated = ?, feature_flag = ?, schemas = ?,
                        updated_at = ?
                    WHERE org_id = ? AND name = ?
                    """,
                arguments: [
                    eventType.description, eventType.archived, eventType.deprecated, eventType.featureFlag,
                    eventType.schemas, eventType.updatedAt.milliseconds, eventType.orgID, eventType.name,
                ]
            )
        }
    }

    public func deleteEventType(orgID: String, name: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM event_types WHERE org_id = ? AND name = ?", arguments: [orgID, name])
        }
    }

    public func listEventTypes(orgID: String, includeArchived: Bool, page: PageRequest) async throws -> Page<EventType> {
        let paging = PagingClause(column: "name", page: page)
        let archivedFilter = includeArchived ? "" : " AND archived = 0"
        let rows = try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM event_types WHERE org_id = ?" + archivedFilter + paging.sql,
                arguments: [orgID] + paging.arguments
            ).map(EventType.init(row:))
        }
        return page.page(fromScanned: rows)
    }

    public func existingEventTypeNames(orgID: String, among names: [String]) async throws -> Set<String> {
        guard !names.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        return try await pool.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: "SELECT name FROM event_types WHERE org_id = ? AND archived = 0 AND name IN (\(placeholders))",
                    arguments: StatementArguments([orgID] + names)
                )
            )
        }
    }
}

extension EventType {
    init(row: Row) {
        self.init(
            orgID: row["org_id"],
            name: row["name"],
            description: row["description"],
            archived: row["archived"],
            deprecated: row["deprecated"],
            featureFlag: row["feature_flag"],
            schemas: row["schemas"],
            createdAt: Timestamp(milliseconds: row["created_at"]),
            updatedAt: Timestamp(milliseconds: row["updated_at"])
        )
    }
}
