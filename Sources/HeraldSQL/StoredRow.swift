import HeraldCore

/// A row as both backends' drivers read it, column by name. A value of the wrong type or an unexpected NULL throws
/// (never traps).
public protocol StoredRow {
    func text(_ column: String) throws -> String
    func optionalText(_ column: String) throws -> String?
    func integer(_ column: String) throws -> Int64
    func optionalInteger(_ column: String) throws -> Int64?
    func bool(_ column: String) throws -> Bool
    func optionalBytes(_ column: String) throws -> [UInt8]?
}

extension StoredRow {
    func timestamp(_ column: String) throws -> Timestamp {
        Timestamp(milliseconds: try integer(column))
    }

    func optionalTimestamp(_ column: String) throws -> Timestamp? {
        try optionalInteger(column).map(Timestamp.init(milliseconds:))
    }

    /// An integer column that holds a count or a code: out of `Int`'s range is damage, not a value.
    func int(_ column: String) throws -> Int {
        guard let value = Int(exactly: try integer(column)) else { throw StorageError.unreadable("\(column) is out of range") }
        return value
    }

    func optionalInt(_ column: String) throws -> Int? {
        try optionalInteger(column).map { value in
            guard let int = Int(exactly: value) else { throw StorageError.unreadable("\(column) is out of range") }
            return int
        }
    }
}

extension Application {
    public init(stored row: some StoredRow) throws {
        self.init(
            id: try row.text("id"),
            orgID: try row.text("org_id"),
            uid: try row.optionalText("uid"),
            name: try row.text("name"),
            throttleRate: try row.optionalInt("throttle_rate"),
            metadata: try JSONColumn.decode([String: String].self, try row.optionalText("metadata")) ?? [:],
            createdAt: try row.timestamp("created_at"),
            updatedAt: try row.timestamp("updated_at")
        )
        allowedSubnets = try Self.subnets(stored: try row.optionalText("allowed_subnets"))
    }

    /// The stored `allowed_subnets` column: a JSON list of CIDRs, absent for most applications.
    public static func subnets(stored text: String?) throws -> [IPNetwork] {
        let texts = try JSONColumn.decode([String].self, text) ?? []
        return try texts.map { text in
            guard let network = IPNetwork(text) else { throw StorageError.unreadable("an application's allowed subnet \(text)") }
            return network
        }
    }
}

extension SealedColumns {
    /// The sealed columns of a row whose endpoint id is in `idColumn`.
    public init(stored row: some StoredRow, idColumn: String = "id", sealer: SecretSealer) throws {
        try self.init(
            secret: try row.text("secret"),
            previousSecrets: try row.text("previous_secrets"),
            headers: try row.text("headers"),
            appID: try row.text("app_id"),
            endpointID: try row.text(idColumn),
            sealer: sealer
        )
    }
}

extension Endpoint {
    public init(stored row: some StoredRow, sealer: SecretSealer) throws {
        let sealed = try SealedColumns(stored: row, sealer: sealer)
        self.init(
            id: try row.text("id"),
            appID: try row.text("app_id"),
            uid: try row.optionalText("uid"),
            url: try row.text("url"),
            description: try row.text("description"),
            disabled: try row.bool("disabled"),
            eventTypes: try JSONColumn.decode([String].self, try row.optionalText("event_types")),
            channels: try JSONColumn.decode([String].self, try row.optionalText("channels")),
            throttleRate: try row.optionalInt("throttle_rate"),
            metadata: try JSONColumn.decode([String: String].self, try row.optionalText("metadata")) ?? [:],
            headers: sealed.headers,
            secret: sealed.secret,
            previousSecrets: sealed.previousSecrets,
            policy: EndpointPolicy.decoded(stored: try row.optionalText("policy"))?.policy ?? EndpointPolicy(),
            createdAt: try row.timestamp("created_at"),
            updatedAt: try row.timestamp("updated_at")
        )
        orgApproved = try row.bool("org_approved")
    }
}

extension EventType {
    public init(stored row: some StoredRow) throws {
        self.init(
            orgID: try row.text("org_id"),
            name: try row.text("name"),
            description: try row.text("description"),
            archived: try row.bool("archived"),
            deprecated: try row.bool("deprecated"),
            featureFlag: try row.optionalText("feature_flag"),
            schemas: try row.optionalText("schemas"),
            createdAt: try row.timestamp("created_at"),
            updatedAt: try row.timestamp("updated_at")
        )
    }
}

extension Message {
    public init(stored row: some StoredRow) throws {
        self.init(
            id: try row.text("id"),
            appID: try row.text("app_id"),
            eventType: try row.text("event_type"),
            eventID: try row.optionalText("event_id"),
            channels: try JSONColumn.decode([String].self, try row.optionalText("channels")),
            payload: try row.optionalBytes("payload"),
            payloadExpiresAt: try row.timestamp("payload_expires_at"),
            createdAt: try row.timestamp("created_at"),
            traceParent: try row.optionalText("trace_parent"),
            inbound: InboundEnvelope(storedJSON: try row.optionalText("inbound"))
        )
    }
}

extension Attempt {
    public init(stored row: some StoredRow) throws {
        self.init(
            id: try row.text("id"),
            messageID: try row.text("msg_id"),
            endpointID: try row.text("endpoint_id"),
            appID: try row.text("app_id"),
            url: try row.text("url"),
            response: try row.optionalText("response"),
            responseStatusCode: try row.int("response_status_code"),
            responseDurationMs: try row.integer("response_duration_ms"),
            status: MessageStatus(rawValue: try row.int("status")) ?? .fail,
            triggerType: TriggerType(rawValue: try row.int("trigger_type")) ?? .scheduled,
            createdAt: try row.timestamp("created_at")
        )
    }
}

extension DestinationState {
    /// From the `delivery_*` columns of a listing: a leased delivery is in flight, so it has no next attempt to show.
    public init(stored row: some StoredRow) throws {
        let status = MessageStatus(rawValue: try row.int("delivery_status")) ?? .pending
        let next = try row.optionalTimestamp("delivery_next")
        let leased = try row.optionalText("delivery_lease") != nil
        self.init(status: status, nextAttempt: (status == .sending || status == .pending) && !leased ? next : nil)
    }
}

extension Endpoint {
    /// The `policy` column: NULL when nothing differs from the server's settings.
    var storedPolicy: String? {
        policy.isDefault ? nil : JSONColumn.encode(policy)
    }
}
