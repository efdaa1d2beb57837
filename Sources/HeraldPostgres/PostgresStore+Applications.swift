import HeraldCore
import PostgresNIO

extension PostgresStore {
    public func createApplication(_ application: Application) async throws {
        try await perform(conflict: .duplicate(.applicationUID)) { client in
            try await client.query(
                """
                INSERT INTO applications (id, org_id, uid, name, throttle_rate, metadata, created_at, updated_at)
                VALUES (\(application.id), \(application.orgID), \(application.uid), \(application.name),
                    \(application.throttleRate.map(Int64.init)), \(JSONColumn.encode(application.metadata)),
                    \(application.createdAt.milliseconds), \(application.updatedAt.milliseconds))
                """
            ).drain()
        }
    }

    public func application(orgID: String, idOrUID: String) async throws -> Application? {
        var bindings = Bindings()
        bindings.add(orgID)
        bindings.add(idOrUID)
        if IDPrefix.application.isID(idOrUID) {
            let statement = bindings.prepared(Statements.ApplicationByID.self)
            return try await perform { client in try await client.rows(statement).first.map(Application.init(row:)) }
        }
        let statement = bindings.prepared(Statements.ApplicationByUID.self)
        return try await perform { client in try await client.rows(statement).first.map(Application.init(row:)) }
    }

    public func updateApplication(_ application: Application) async throws {
        try await perform(conflict: .duplicate(.applicationUID)) { client in
            try await client.query(
                """
                UPDATE applications SET uid = \(application.uid), name = \(application.name),
                    throttle_rate = \(application.throttleRate.map(Int64.init)), metadata = \(JSONColumn.encode(application.metadata)),
                    updated_at = \(application.updatedAt.milliseconds)
                WHERE id = \(application.id) AND org_id = \(application.orgID) AND deleted_at IS NULL
                """
            ).drain()
        }
    }

    public func deleteApplication(orgID: String, id: String) async throws {
        let now = Timestamp.now().milliseconds
        try await perform { client in
            try await client.query(
                "UPDATE applications SET deleted_at = \(now) WHERE id = \(id) AND org_id = \(orgID) AND deleted_at IS NULL"
            ).drain()
        }
    }

    public func listApplications(orgID: String, page: PageRequest) async throws -> Page<Application> {
        var builder = SQLBuilder("SELECT * FROM applications WHERE deleted_at IS NULL AND org_id = ")
        builder.append(builder.bind(orgID))
        builder.appendPaging(column: "id", page: page)
        let query = builder.query
        let rows = try await perform { client in try await client.rows(query).map(Application.init(row:)) }
        return page.page(fromScanned: rows)
    }
}

extension Application {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row.value("id"),
            orgID: try row.value("org_id"),
            uid: try row.value("uid"),
            name: try row.value("name"),
            throttleRate: try row.value("throttle_rate", as: Int64?.self).map { Int($0) },
            metadata: try JSONColumn.decode([String: String].self, try row.value("metadata")) ?? [:],
            createdAt: try row.timestamp("created_at"),
            updatedAt: try row.timestamp("updated_at")
        )
    }
}
