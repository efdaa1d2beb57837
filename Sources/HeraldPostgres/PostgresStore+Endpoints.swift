import HeraldCore
import PostgresNIO

extension PostgresStore {
    public func createEndpoint(_ endpoint: Endpoint) async throws {
        let sealed = try SealedColumns(secret: endpoint.secret, previousSecrets: endpoint.previousSecrets, headers: endpoint.headers)
            .sealed(with: sealer, appID: endpoint.appID, endpointID: endpoint.id)
        try await perform(conflict: .duplicate(.endpointUID)) { client in
            try await client.query(
                """
                INSERT INTO endpoints
                    (id, app_id, uid, url, description, disabled, event_types, channels, throttle_rate, metadata,
                     headers, secret, previous_secrets, created_at, updated_at)
                VALUES (\(endpoint.id), \(endpoint.appID), \(endpoint.uid), \(endpoint.url), \(endpoint.description),
                    \(endpoint.disabled), \(JSONColumn.encode(endpoint.eventTypes)), \(JSONColumn.encode(endpoint.channels)),
                    \(endpoint.throttleRate), \(JSONColumn.encode(endpoint.metadata)), \(sealed[2]), \(sealed[0]), \(sealed[1]),
                    \(endpoint.createdAt.milliseconds), \(endpoint.updatedAt.milliseconds))
                """
            ).drain()
        }
    }

    public func endpoint(appID: String, idOrUID: String) async throws -> Endpoint? {
        let column = IDPrefix.endpoint.isID(idOrUID) ? "id" : "uid"
        var builder = SQLBuilder("SELECT * FROM endpoints WHERE deleted_at IS NULL AND app_id = ")
        builder.append("\(builder.bind(appID)) AND \(column) = \(builder.bind(idOrUID))")
        let query = builder.query
        let sealer = self.sealer
        return try await perform { client in try await client.rows(query).first.map { try Endpoint(row: $0, sealer: sealer) } }
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        let sealed = try SealedColumns(secret: endpoint.secret, previousSecrets: endpoint.previousSecrets, headers: endpoint.headers)
            .sealed(with: sealer, appID: endpoint.appID, endpointID: endpoint.id)
        try await perform(conflict: .duplicate(.endpointUID)) { client in
            try await client.query(
                """
                UPDATE endpoints SET uid = \(endpoint.uid), url = \(endpoint.url), description = \(endpoint.description),
                    disabled = \(endpoint.disabled), event_types = \(JSONColumn.encode(endpoint.eventTypes)),
                    channels = \(JSONColumn.encode(endpoint.channels)), throttle_rate = \(endpoint.throttleRate),
                    metadata = \(JSONColumn.encode(endpoint.metadata)), headers = \(sealed[2]), secret = \(sealed[0]),
                    previous_secrets = \(sealed[1]), updated_at = \(endpoint.updatedAt.milliseconds)
                WHERE id = \(endpoint.id) AND app_id = \(endpoint.appID) AND deleted_at IS NULL
                """
            ).drain()
        }
    }

    public func deleteEndpoint(appID: String, id: String) async throws {
        let now = Timestamp.now().milliseconds
        try await perform { client in
            try await client.query(
                "UPDATE endpoints SET deleted_at = \(now) WHERE id = \(id) AND app_id = \(appID) AND deleted_at IS NULL"
            ).drain()
        }
    }

    public func listEndpoints(appID: String, page: PageRequest) async throws -> Page<Endpoint> {
        var builder = SQLBuilder("SELECT * FROM endpoints WHERE deleted_at IS NULL AND app_id = ")
        builder.append(builder.bind(appID))
        builder.appendPaging(column: "id", page: page)
        let query = builder.query
        let sealer = self.sealer
        let rows = try await perform { client in try await client.rows(query).map { try Endpoint(row: $0, sealer: sealer) } }
        return page.page(fromScanned: rows)
    }

    public func countEndpoints(appID: String) async throws -> Int {
        try await perform { client in
            let rows = try await client.rows("SELECT COUNT(*) AS n FROM endpoints WHERE app_id = \(appID) AND deleted_at IS NULL")
            return Int(clamping: try rows.first?.value("n", as: Int64.self) ?? 0)
        }
    }
}

extension SealedColumns {
    /// From a row whose endpoint id is in `idColumn`.
    init(row: PostgresRandomAccessRow, idColumn: String = "id", sealer: SecretSealer) throws {
        try self.init(
            secret: try row.value("secret"),
            previousSecrets: try row.value("previous_secrets"),
            headers: try row.value("headers"),
            appID: try row.value("app_id"),
            endpointID: try row.value(idColumn),
            sealer: sealer
        )
    }
}

extension Endpoint {
    init(row: PostgresRandomAccessRow, sealer: SecretSealer) throws {
        let sealed = try SealedColumns(row: row, sealer: sealer)
        self.init(
            id: try row.value("id"),
            appID: try row.value("app_id"),
            uid: try row.value("uid"),
            url: try row.value("url"),
            description: try row.value("description"),
            disabled: try row.value("disabled"),
            eventTypes: try JSONColumn.decode([String].self, try row.value("event_types")),
            channels: try JSONColumn.decode([String].self, try row.value("channels")),
            throttleRate: try row.value("throttle_rate"),
            metadata: try JSONColumn.decode([String: String].self, try row.value("metadata")) ?? [:],
            headers: sealed.headers,
            secret: sealed.secret,
            previousSecrets: sealed.previousSecrets,
            createdAt: try row.timestamp("created_at"),
            updatedAt: try row.timestamp("updated_at")
        )
    }
}
