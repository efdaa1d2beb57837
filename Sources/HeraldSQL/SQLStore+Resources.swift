import HeraldCore

/// Applications, endpoints and event types: the same statements on every backend.
extension SQLStore {
    public func createApplication(_ application: Application) async throws {
        var insert = statement("INSERT INTO applications (id, org_id, uid, name, throttle_rate, metadata, created_at, updated_at) VALUES (")
        insert.append(
            [
                insert.bind(application.id), insert.bind(application.orgID), insert.bind(application.uid), insert.bind(application.name),
                insert.bind(application.throttleRate), insert.bind(JSONColumn.encode(application.metadata)),
                insert.bind(application.createdAt), insert.bind(application.updatedAt),
            ].joined(separator: ", ") + ")"
        )
        try await write([insert], conflict: .duplicate(.applicationUID))
    }

    public func application(orgID: String, idOrUID: String) async throws -> Application? {
        let column = IDPrefix.application.isID(idOrUID) ? "id" : "uid"
        var select = statement("SELECT * FROM applications WHERE deleted_at IS NULL")
        select.append(" AND org_id = \(select.bind(orgID)) AND \(column) = \(select.bind(idOrUID))")
        return try await rows(select) { try Application(stored: $0) }.first
    }

    public func updateApplication(_ application: Application) async throws {
        var update = statement("UPDATE applications SET ")
        update.append(
            "uid = \(update.bind(application.uid)), name = \(update.bind(application.name)), "
                + "throttle_rate = \(update.bind(application.throttleRate)), "
                + "metadata = \(update.bind(JSONColumn.encode(application.metadata))), updated_at = \(update.bind(application.updatedAt))"
                + " WHERE id = \(update.bind(application.id)) AND org_id = \(update.bind(application.orgID)) AND deleted_at IS NULL"
        )
        try await write([update], conflict: .duplicate(.applicationUID))
    }

    public func setAllowedSubnets(orgID: String, appID: String, subnets: [IPNetwork]) async throws {
        var update = statement("UPDATE applications SET ")
        let stored = subnets.isEmpty ? nil : JSONColumn.encode(subnets.map(\.description))
        update.append(
            "allowed_subnets = \(update.bind(stored)) WHERE id = \(update.bind(appID)) AND org_id = \(update.bind(orgID)) AND deleted_at IS NULL"
        )
        try await write([update])
    }

    public func deleteApplication(orgID: String, id: String) async throws {
        var delete = statement("UPDATE applications SET ")
        delete.append(
            "deleted_at = \(delete.bind(Timestamp.now())) WHERE id = \(delete.bind(id)) AND org_id = \(delete.bind(orgID)) AND deleted_at IS NULL"
        )
        try await write([delete])
    }

    public func listApplications(orgID: String, page: PageRequest) async throws -> Page<Application> {
        var select = statement("SELECT * FROM applications WHERE deleted_at IS NULL")
        select.append(" AND org_id = \(select.bind(orgID))")
        select.appendPaging(column: "id", page: page)
        return page.page(fromScanned: try await rows(select) { try Application(stored: $0) })
    }

    public func createEndpoint(_ endpoint: Endpoint) async throws {
        let sealed = try SealedColumns(secret: endpoint.secret, previousSecrets: endpoint.previousSecrets, headers: endpoint.headers)
            .sealed(with: sealer, appID: endpoint.appID, endpointID: endpoint.id)
        var insert = statement(
            "INSERT INTO endpoints (id, app_id, uid, url, description, disabled, event_types, channels, throttle_rate, metadata,"
                + " headers, secret, previous_secrets, policy, fifo, org_approved, created_at, updated_at) VALUES ("
        )
        insert.append(
            [
                insert.bind(endpoint.id), insert.bind(endpoint.appID), insert.bind(endpoint.uid), insert.bind(endpoint.url),
                insert.bind(endpoint.description), insert.bind(endpoint.disabled), insert.bind(JSONColumn.encode(endpoint.eventTypes)),
                insert.bind(JSONColumn.encode(endpoint.channels)), insert.bind(endpoint.throttleRate),
                insert.bind(JSONColumn.encode(endpoint.metadata)), insert.bind(sealed[2]), insert.bind(sealed[0]), insert.bind(sealed[1]),
                insert.bind(endpoint.storedPolicy), insert.bind(endpoint.policy.isOrdered), insert.bind(endpoint.orgApproved),
                insert.bind(endpoint.createdAt),
                insert.bind(endpoint.updatedAt),
            ].joined(separator: ", ") + ")"
        )
        try await write([insert], conflict: .duplicate(.endpointUID))
    }

    public func endpoint(appID: String, idOrUID: String) async throws -> Endpoint? {
        let column = IDPrefix.endpoint.isID(idOrUID) ? "id" : "uid"
        var select = statement("SELECT * FROM endpoints WHERE deleted_at IS NULL")
        select.append(" AND app_id = \(select.bind(appID)) AND \(column) = \(select.bind(idOrUID))")
        let sealer = self.sealer
        return try await rows(select) { try Endpoint(stored: $0, sealer: sealer) }.first
    }

    public func updateEndpoint(_ endpoint: Endpoint) async throws {
        let sealed = try SealedColumns(secret: endpoint.secret, previousSecrets: endpoint.previousSecrets, headers: endpoint.headers)
            .sealed(with: sealer, appID: endpoint.appID, endpointID: endpoint.id)
        var update = statement("UPDATE endpoints SET ")
        update.append(
            "uid = \(update.bind(endpoint.uid)), url = \(update.bind(endpoint.url)), description = \(update.bind(endpoint.description)), "
                + "disabled = \(update.bind(endpoint.disabled)), event_types = \(update.bind(JSONColumn.encode(endpoint.eventTypes))), "
                + "channels = \(update.bind(JSONColumn.encode(endpoint.channels))), throttle_rate = \(update.bind(endpoint.throttleRate)), "
                + "metadata = \(update.bind(JSONColumn.encode(endpoint.metadata))), headers = \(update.bind(sealed[2])), "
                + "secret = \(update.bind(sealed[0])), previous_secrets = \(update.bind(sealed[1])), "
                + "policy = \(update.bind(endpoint.storedPolicy)), fifo = \(update.bind(endpoint.policy.isOrdered)), "
                + "org_approved = \(update.bind(endpoint.orgApproved)), "
                + "updated_at = \(update.bind(endpoint.updatedAt))"
                + " WHERE id = \(update.bind(endpoint.id)) AND app_id = \(update.bind(endpoint.appID)) AND deleted_at IS NULL"
        )
        let ordered = endpoint.policy.isOrdered
        let switching = OrderedDeliveries.switching(endpointID: endpoint.id, toOrdered: ordered, now: endpoint.updatedAt, dialect)
        let advance = ordered ? OrderedDeliveries.advance(endpointID: endpoint.id, dialect) : []
        try await write(switching + [update] + advance, conflict: .duplicate(.endpointUID))
        if ordered { deliveriesBecameDue() }
    }

    public func deleteEndpoint(appID: String, id: String) async throws {
        var delete = statement("UPDATE endpoints SET ")
        delete.append(
            "deleted_at = \(delete.bind(Timestamp.now())) WHERE id = \(delete.bind(id)) AND app_id = \(delete.bind(appID)) AND deleted_at IS NULL"
        )
        try await write([delete])
    }

    public func listEndpoints(appID: String, page: PageRequest) async throws -> Page<Endpoint> {
        var select = statement("SELECT * FROM endpoints WHERE deleted_at IS NULL")
        select.append(" AND app_id = \(select.bind(appID))")
        select.appendPaging(column: "id", page: page)
        let sealer = self.sealer
        return page.page(fromScanned: try await rows(select) { try Endpoint(stored: $0, sealer: sealer) })
    }

    public func countEndpoints(appID: String) async throws -> Int {
        var count = statement("SELECT COUNT(*) AS n FROM endpoints WHERE deleted_at IS NULL")
        count.append(" AND app_id = \(count.bind(appID))")
        return try await rows(count) { try $0.int("n") }.first ?? 0
    }

    public func createEventType(_ eventType: EventType) async throws {
        // An archived type of the same name is replaced; a live one is a conflict.
        var replace = statement("DELETE FROM event_types WHERE ")
        replace.append(
            "org_id = \(replace.bind(eventType.orgID)) AND name = \(replace.bind(eventType.name)) AND archived = \(replace.bind(true))"
        )
        var insert = statement(
            "INSERT INTO event_types (org_id, name, description, archived, deprecated, feature_flag, schemas, created_at, updated_at) VALUES ("
        )
        insert.append(
            [
                insert.bind(eventType.orgID), insert.bind(eventType.name), insert.bind(eventType.description), insert.bind(eventType.archived),
                insert.bind(eventType.deprecated), insert.bind(eventType.featureFlag), insert.bind(eventType.schemas),
                insert.bind(eventType.createdAt), insert.bind(eventType.updatedAt),
            ].joined(separator: ", ") + ")"
        )
        try await write([replace, insert], conflict: .duplicate(.eventTypeName))
    }

    public func eventType(orgID: String, name: String) async throws -> EventType? {
        var select = statement("SELECT * FROM event_types WHERE ")
        select.append("org_id = \(select.bind(orgID)) AND name = \(select.bind(name))")
        return try await rows(select) { try EventType(stored: $0) }.first
    }

    public func updateEventType(_ eventType: EventType) async throws {
        var update = statement("UPDATE event_types SET ")
        update.append(
            "description = \(update.bind(eventType.description)), archived = \(update.bind(eventType.archived)), "
                + "deprecated = \(update.bind(eventType.deprecated)), feature_flag = \(update.bind(eventType.featureFlag)), "
                + "schemas = \(update.bind(eventType.schemas)), updated_at = \(update.bind(eventType.updatedAt))"
                + " WHERE org_id = \(update.bind(eventType.orgID)) AND name = \(update.bind(eventType.name))"
        )
        try await write([update])
    }

    public func deleteEventType(orgID: String, name: String) async throws {
        var delete = statement("DELETE FROM event_types WHERE ")
        delete.append("org_id = \(delete.bind(orgID)) AND name = \(delete.bind(name))")
        try await write([delete])
    }

    public func listEventTypes(orgID: String, includeArchived: Bool, page: PageRequest) async throws -> Page<EventType> {
        var select = statement("SELECT * FROM event_types WHERE ")
        select.append("org_id = \(select.bind(orgID))")
        if !includeArchived { select.append(" AND archived = \(select.bind(false))") }
        select.appendPaging(column: "name", page: page)
        return page.page(fromScanned: try await rows(select) { try EventType(stored: $0) })
    }

    public func existingEventTypeNames(orgID: String, among names: [String]) async throws -> Set<String> {
        guard !names.isEmpty else { return [] }
        var select = statement("SELECT name FROM event_types WHERE ")
        select.append("org_id = \(select.bind(orgID)) AND archived = \(select.bind(false)) AND " + select.isAny(of: names, "name"))
        return Set(try await rows(select) { try $0.text("name") })
    }
}
