import GRDB
import HeraldCore

extension SQLiteStore {
    public func createEndpoint(_ endpoint: Endpoint) async throws {
        try await write(conflict: .conflict("An endpoint with this uid already exists")) { db in
            try db.execute(
                sql: """
                    INSERT INTO endpoints
                        (id, app_id, uid, url, description, disabled, event_types, channels, throttle_rate, metadata,
                         headers, secret, previous_secrets, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: endpoint.columnValues
            )
        }
    }

    public func endpoint(appID: String, idOrUID: String) async throws -> Endpoint? {
        let column = IDPrefix.endpoint.isID(idOrUID) ? "id" : "uid"
        return try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM endpoints WHERE app_id = ? AND \(column) = ? AND deleted_at IS NULL",
                arguments: [appID, idOrUID]
            ).map(Endpoint.init(row:))
        }
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        try await write(conflict: .conflict("An endpoint with this uid already exists")) { db in
            try db.execute(
                sql: """
                    UPDATE endpoints SET id = ?, app_id = ?, uid = ?, url = ?, description = ?, disabled = ?,
                        event_types = ?, channels = ?, throttle_rate = ?, metadata = ?, headers = ?,
                        secret = ?, previous_secrets = ?, created_at = ?, updated_at = ?
                    WHERE id = ? AND app_id = ? AND deleted_at IS NULL
                    """,
                arguments: endpoint.columnValues + [endpoint.id, endpoint.appID]
            )
        }
    }

    public func deleteEndpoint(appID: String, id: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE endpoints SET deleted_at = ? WHERE id = ? AND app_id = ? AND deleted_at IS NULL",
                arguments: [Timestamp.now().milliseconds, id, appID]
            )
        }
    }

    public func listEndpoints(appID: String, page: PageRequest) async throws -> Page<Endpoint> {
        let paging = PagingClause(column: "id", page: page)
        let rows = try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM endpoints WHERE app_id = ? AND deleted_at IS NULL" + paging.sql,
                arguments: [appID] + paging.arguments
            ).map(Endpoint.init(row:))
        }
        return page.page(fromScanned: rows)
    }
}

extension Endpoint {
    /// Column values in the order of the INSERT and UPDATE statements above.
    var columnValues: StatementArguments {
        [
            id, appID, uid, url, description, disabled, JSONColumn.encode(eventTypes), JSONColumn.encode(channels),
            throttleRate, JSONColumn.encode(metadata), JSONColumn.encode(headers), secret.description,
            JSONColumn.encode(previousSecrets), createdAt.milliseconds, updatedAt.milliseconds,
        ]
    }

    init(row: Row) throws {
        guard let secret = EndpointSecret(parsing: row["secret"]) else {
            throw HeraldError(kind: .internalError, code: "server_error", detail: "stored endpoint secret is unreadable")
        }
        self.init(
            id: row["id"],
            appID: row["app_id"],
            uid: row["uid"],
            url: row["url"],
            description: row["description"],
            disabled: row["disabled"],
            eventTypes: try JSONColumn.decode([String].self, row["event_types"]),
            channels: try JSONColumn.decode([String].self, row["channels"]),
            throttleRate: row["throttle_rate"],
            metadata: try JSONColumn.decode([String: String].self, row["metadata"]) ?? [:],
            headers: try JSONColumn.decode([String: String].self, row["headers"]) ?? [:],
            secret: secret,
            previousSecrets: try JSONColumn.decode([ExpiringSecret].self, row["previous_secrets"]) ?? [],
            createdAt: Timestamp(milliseconds: row["created_at"]),
            updatedAt: Timestamp(milliseconds: row["updated_at"])
        )
    }
}
