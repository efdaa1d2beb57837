import GRDB
import HeraldCore

extension SQLiteStore {
    public func createApplication(_ application: Application) async throws {
        try await write(conflict: .duplicate(.applicationUID)) { db in
            try db.execute(
                sql: """
                    INSERT INTO applications (id, org_id, uid, name, throttle_rate, metadata, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    application.id, application.orgID, application.uid, application.name, application.throttleRate,
                    JSONColumn.encode(application.metadata), application.createdAt.milliseconds,
                    application.updatedAt.milliseconds,
                ]
            )
        }
    }

    public func application(orgID: String, idOrUID: String) async throws -> Application? {
        let column = IDPrefix.application.isID(idOrUID) ? "id" : "uid"
        return try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM applications WHERE org_id = ? AND \(column) = ? AND deleted_at IS NULL",
                arguments: [orgID, idOrUID]
            ).map(Application.init(row:))
        }
    }

    public func updateApplication(_ application: Application) async throws {
        try await write(conflict: .duplicate(.applicationUID)) { db in
            try db.execute(
                sql: """
                    UPDATE applications SET uid = ?, name = ?, throttle_rate = ?, metadata = ?, updated_at = ?
                    WHERE id = ? AND org_id = ? AND deleted_at IS NULL
                    """,
                arguments: [
                    application.uid, application.name, application.throttleRate, JSONColumn.encode(application.metadata),
                    application.updatedAt.milliseconds, application.id, application.orgID,
                ]
            )
        }
    }

    public func deleteApplication(orgID: String, id: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE applications SET deleted_at = ? WHERE id = ? AND org_id = ? AND deleted_at IS NULL",
                arguments: [Timestamp.now().milliseconds, id, orgID]
            )
        }
    }

    public func listApplications(orgID: String, page: PageRequest) async throws -> Page<Application> {
        let paging = PagingClause(column: "id", page: page)
        let rows = try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM applications WHERE org_id = ? AND deleted_at IS NULL" + paging.sql,
                arguments: [orgID] + paging.arguments
            ).map(Application.init(row:))
        }
        return page.page(fromScanned: rows)
    }
}

extension Application {
    init(row: Row) throws {
        self.init(
            id: row["id"],
            orgID: row["org_id"],
            uid: row["uid"],
            name: row["name"],
            throttleRate: row["throttle_rate"],
            metadata: try JSONColumn.decode([String: String].self, row["metadata"]) ?? [:],
            createdAt: Timestamp(milliseconds: row["created_at"]),
            updatedAt: Timestamp(milliseconds: row["updated_at"])
        )
    }
}
