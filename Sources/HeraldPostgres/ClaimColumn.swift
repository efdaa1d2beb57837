import HeraldCore
import HeraldSQL
import NIOCore
import PostgresNIO

/// The columns of `Statements.ClaimDeliveries`, in its order. A claim's rows are read by position: by name, each read
/// hashed the name twice, some thirty times per delivery.
enum ClaimColumn: Int, CaseIterable {
    case chosen, deliveryID, triggerType, attemptCount, orgID, appID, appUID, messageID, carriesMessage, messageFound
    case eventID, eventType, payload, payloadExpiresAt, traceParent, inbound, endpointID, endpointUID, url, secret
    case previousSecrets, headers, inactive, allowedSubnets, policy, endpointThrottleRate, appThrottleRate, breaker, setting

    /// The statement's name for it (beside its case, so that moving a case cannot pair it with another's name).
    var name: String {
        switch self {
        case .chosen: "chosen"
        case .deliveryID: "delivery_id"
        case .triggerType: "trigger_type"
        case .attemptCount: "attempt_count"
        case .orgID: "org_id"
        case .appID: "app_id"
        case .appUID: "app_uid"
        case .messageID: "msg_id"
        case .carriesMessage: "carries_message"
        case .messageFound: "message_found"
        case .eventID: "event_id"
        case .eventType: "event_type"
        case .payload: "payload"
        case .payloadExpiresAt: "payload_expires_at"
        case .endpointID: "endpoint_id"
        case .endpointUID: "endpoint_uid"
        case .url: "url"
        case .secret: "secret"
        case .previousSecrets: "previous_secrets"
        case .headers: "headers"
        case .inactive: "inactive"
        case .traceParent: "trace_parent"
        case .inbound: "inbound"
        case .allowedSubnets: "allowed_subnets"
        case .policy: "policy"
        case .endpointThrottleRate: "endpoint_throttle_rate"
        case .appThrottleRate: "app_throttle_rate"
        case .breaker: "breaker"
        case .setting: "setting"
        }
    }

    /// Throws unless the claim's rows have exactly these columns in this order (checked once per claim).
    static func check(_ row: PostgresRandomAccessRow?) throws {
        guard let row else { return }
        guard row.map(\.columnName) == allCases.map(\.name) else {
            throw StorageError.unreadable("the claim's columns are not the ones ClaimColumn reads")
        }
    }
}

extension PostgresRandomAccessRow {
    /// A claim's column, by position (`ClaimColumn`); a row without it throws rather than trapping.
    func value<T: PostgresDecodable>(_ column: ClaimColumn, as type: T.Type = T.self) throws -> T {
        guard indices.contains(column.rawValue) else { throw StorageError.unreadable("a claimed row has no column \(column)") }
        return try self[column.rawValue].decode(T.self)
    }

    func bytes(_ column: ClaimColumn) throws -> [UInt8]? {
        try value(column, as: ByteBuffer?.self).map { Array($0.readableBytesView) }
    }
}

/// What a claim read of a message, from the one of its claimed rows that carried it (`carries_message`).
struct ClaimedMessage {
    /// False when the message is gone (retention deleted it after the delivery was queued).
    var found: Bool
    var eventID: String?
    var eventType: String
    var payload: [UInt8]?
    var payloadExpiresAt: Timestamp
    var traceParent: String?
    var inbound: InboundEnvelope?

    init(carrier row: PostgresRandomAccessRow) throws {
        found = try row.value(.messageFound)
        eventID = try row.value(.eventID)
        eventType = try row.value(.eventType)
        payload = try row.bytes(.payload)
        payloadExpiresAt = Timestamp(milliseconds: try row.value(.payloadExpiresAt))
        traceParent = try row.value(.traceParent)
        inbound = InboundEnvelope(storedJSON: try row.value(.inbound))
    }
}

extension DeliveryTask {
    /// From a claimed row; its message is in `messages`, read from the one row of the claim that carried it.
    init(row: PostgresRandomAccessRow, messages: [String: ClaimedMessage], sealer: SecretSealer) throws {
        let appID: String = try row.value(.appID)
        let endpointID: String = try row.value(.endpointID)
        let messageID: String = try row.value(.messageID)
        guard let message = messages[messageID] else { throw StorageError.unreadable("no claimed row carried the message \(messageID)") }
        let sealed = try SealedColumns(
            secret: try row.value(.secret),
            previousSecrets: try row.value(.previousSecrets),
            headers: try row.value(.headers),
            appID: appID,
            endpointID: endpointID,
            sealer: sealer
        )
        self.init(
            deliveryID: try row.value(.deliveryID),
            triggerType: TriggerType(rawValue: try row.value(.triggerType)) ?? .scheduled,
            attemptNumber: try row.value(.attemptCount),
            orgID: try row.value(.orgID),
            appID: appID,
            appUID: try row.value(.appUID),
            messageID: messageID,
            eventID: message.eventID,
            eventType: message.eventType,
            payload: message.payload,
            payloadExpiresAt: message.payloadExpiresAt,
            endpointID: endpointID,
            endpointUID: try row.value(.endpointUID),
            url: try row.value(.url),
            secret: sealed.secret,
            previousSecrets: sealed.previousSecrets,
            headers: sealed.headers,
            endpointInactive: try row.value(.inactive) || !message.found,
            traceParent: message.traceParent,
            policy: EndpointPolicy.decoded(stored: try row.value(.policy))?.policy ?? EndpointPolicy(),
            throttleRate: ThrottleRate(stored: (try row.value(.endpointThrottleRate) as Int64?).map { Int(clamping: $0) }),
            appThrottleRate: ThrottleRate(stored: (try row.value(.appThrottleRate) as Int64?).map { Int(clamping: $0) }),
            breaker: BreakerState(rawValue: Int(clamping: try row.value(.breaker) as Int64)) ?? .open
        )
        inbound = message.inbound
        appAllowedSubnets = (try? Application.subnets(stored: try row.value(.allowedSubnets))) ?? []
    }
}
