/// Operational webhooks: events about the webhook system itself (`endpoint.disabled`, `message.attempt.exhausted`, …)
/// delivered to the operator's URL (`HERALD_OPERATIONAL_WEBHOOK_URL`) as ordinary signed, retried webhooks.
///
/// They live as messages of one application in a management organisation, so they get the same durability,
/// retries and attempt log as everything else; the body is `{"type": …, "data": {…}}` with the tenant in `data.orgId`.
public struct OperationalWebhooks: Sendable {
    /// The organisation that holds the operator's application.
    public static let managementOrgID = "org_00000000000HeraldManagement0"
    static let applicationUID = "operational-webhooks"
    static let endpointUID = "operator"

    /// The seven event types.
    public enum EventType: String, Sendable, CaseIterable {
        case endpointCreated = "endpoint.created"
        case endpointUpdated = "endpoint.updated"
        case endpointDeleted = "endpoint.deleted"
        case endpointDisabled = "endpoint.disabled"
        /// Herald's own: the endpoint's circuit breaker opened, or closed after a successful probe.
        case circuitOpened = "endpoint.circuit.opened"
        case circuitClosed = "endpoint.circuit.closed"
        case attemptFailing = "message.attempt.failing"
        case attemptExhausted = "message.attempt.exhausted"
        case attemptRecovered = "message.attempt.recovered"
    }

    /// What it writes through: the management application, the operator's endpoint, the events.
    public typealias Store = ApplicationStore & EndpointStore & MessageStore

    let store: any Store
    let appID: String
    let clock: any WallClock

    /// Makes sure the management application and the operator endpoint exist and point at `url`, signing with
    /// `secret`; returns the endpoint so its id can be logged.
    public static func setUp(
        store: any Store,
        url: String,
        secret: EndpointSecret,
        clock: any WallClock = SystemWallClock()
    ) async throws -> (webhooks: OperationalWebhooks, endpointID: String) {
        let now = clock.now()
        var application = try await store.application(orgID: managementOrgID, idOrUID: applicationUID)
        if application == nil {
            let created = Application(
                id: IDPrefix.application.makeID(timestampMs: now.milliseconds),
                orgID: managementOrgID,
                uid: applicationUID,
                name: "Operational webhooks",
                throttleRate: nil,
                metadata: [:],
                createdAt: now,
                updatedAt: now
            )
            try await store.createApplication(created)
            application = created
        }
        let appID = application!.id
        if var endpoint = try await store.endpoint(appID: appID, idOrUID: endpointUID) {
            if endpoint.url != url || endpoint.secret != secret || endpoint.disabled {
                endpoint.url = url
                endpoint.secret = secret
                endpoint.disabled = false
                endpoint.updatedAt = now
                try await store.updateEndpoint(endpoint)
            }
            return (OperationalWebhooks(store: store, appID: appID, clock: clock), endpoint.id)
        }
        let endpoint = Endpoint(
            id: IDPrefix.endpoint.makeID(timestampMs: now.milliseconds),
            appID: appID,
            uid: endpointUID,
            url: url,
            description: "The operator (HERALD_OPERATIONAL_WEBHOOK_URL)",
            disabled: false,
            eventTypes: nil,
            channels: nil,
            throttleRate: nil,
            metadata: [:],
            headers: [:],
            secret: secret,
            previousSecrets: [],
            createdAt: now,
            updatedAt: now
        )
        try await store.createEndpoint(endpoint)
        return (OperationalWebhooks(store: store, appID: appID, clock: clock), endpoint.id)
    }

    /// Queues one event. Events about the management organisation itself are not sent (they would loop).
    public func emit(_ type: EventType, orgID: String, data: [String: JSONValue]) async throws {
        guard orgID != Self.managementOrgID else { return }
        var fields = data
        fields["orgId"] = .string(orgID)
        let body = JSONValue.object(["type": .string(type.rawValue), "data": .object(fields)])
        let now = clock.now()
        let message = Message(
            id: IDPrefix.message.makeID(timestampMs: now.milliseconds),
            appID: appID,
            eventType: type.rawValue,
            eventID: nil,
            channels: nil,
            payload: Array(try body.encodedJSON()),
            payloadExpiresAt: now.adding(seconds: 90 * 86_400),
            createdAt: now
        )
        try await store.createMessage(message)
    }
}
