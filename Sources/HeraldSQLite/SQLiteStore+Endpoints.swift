import GRDB
import HeraldCore

extension SQLiteStore {
    public func createEndpoint(_ endpoint: Endpoint) async throws {
        let columns = try endpoint.columnValues(sealer: sealer)
        try await write(conflict: .duplicate(.endpointUID)) { db in
            try db.execute(
                sql: """
                    INSERT INTO endpoints
                        (id, app_id, uid, url, description, disabled, event_types, channels, throttle_rate, metadata,
                         headers, secret, previous_secrets, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: columns
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
            ).map { try Endpoint(row: $0, sealer: self.sealer) }
        }
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        let columns = try endpoint.columnValues(sealer: sealer) + [endpoint.id, endpoint.appID]
        try await write(conflict: .duplicate(.endpointUID)) { db in
            try db.execute(
                sql: """
                    UPDATE endpoints SET id = ?, app_id = ?, uid = ?, url = ?, description = ?, disabled = ?,
                        event_types = ?, channels = ?, throttle_rate = ?, metadata = ?, headers = ?,
                        secret = ?, previous_secrets = ?, created_at = ?, updated_at = ?
                    WHERE id = ? AND app_id = ? AND deleted_at IS NULL
                    """,
                arguments: columns
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
            ).map { try Endpoint(row: $0, sealer: self.sealer) }
        }
        return page.page(fromScanned: rows)
    }

    public func countEndpoints(appID: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM endpoints WHERE app_id = ? AND deleted_at IS NULL", arguments: [appID]) ?? 0
        }
    }
}

extension Endpoint {
    /// Column values in the order of the INSERT and UPDATE statements above; secrets sealed.
    func columnValues(sealer: SecretSealer) throws -> StatementArguments {
        let sealed = try SealedColumns(secret: secret, previousSecrets: previousSecrets, headers: headers).sealed(
            with: sealer,
            appID: appID,
            endpointID: id
        )
        return [
            id, appID, uid, url, description, disabled, JSONColumn.encode(eventTypes), JSONColumn.encode(channels),
            throttleRate, JSONColumn.encode(metadata), sealed[2], sealed[0], sealed[1], createdAt.milliseconds, updatedAt.milliseconds,
        ]
    }

    init(row: Row, sealer: SecretSealer) throws {
        let sealed = try SealedColumns(row: row, sealer: sealer)
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
            headers: sealed.headers,
            secret: sealed.secret,
            previousSecrets: sealed.previousSecrets,
            createdAt: Timestamp(milliseconds: row["created_at"]),
            updatedAt: Timestamp(milliseconds: row["updated_at"])
        )
    }
}
