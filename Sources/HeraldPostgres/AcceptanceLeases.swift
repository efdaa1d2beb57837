import HeraldCore
import HeraldSQL
import PostgresNIO
import Synchronization

/// One message batch's leases on acceptance (`AcceptedDeliveryTaker`): which of its deliveries to lease to this
/// process's dispatcher as they are stored, the slots reserved for them, and, after the commit, the hand-over.
///
/// Every reservation is accounted for exactly once: handed over with its delivery, or given back (`handOver`, or
/// `giveBack` when the batch failed).
struct AcceptanceLeases {
    /// Most deliveries one batch leases: they come back in the batch's one-row answer, which must stay short
    /// (`SmallAnswerText`). A steady flow's batches are small; a burst's other deliveries wait for a claim.
    static let maxPerBatch = 16

    let taker: (any AcceptedDeliveryTaker)?
    let now: Timestamp
    private let sealer: SecretSealer
    /// The candidates' rows by endpoint id, decoded for the first delivery leased to each (`EndpointSending`).
    private let rows: [String: PostgresRandomAccessRow]
    private var sending: [String: EndpointSending?] = [:]
    private var reserved: [(endpointID: String, appID: String)] = []

    init(taker: (any AcceptedDeliveryTaker)?, now: Timestamp, rows: [String: PostgresRandomAccessRow], sealer: SecretSealer) {
        self.taker = taker
        self.now = now
        self.rows = rows
        self.sealer = sealer
    }

    var owner: String { taker?.owner ?? "" }
    var leaseUntil: Timestamp { now.adding(seconds: taker?.leaseSeconds ?? 0) }

    /// Whether to ask the statement to lease the delivery of `appID`'s message to `endpointID` (reserving its slot).
    mutating func lease(endpointID: String, appID: String, ordered: Bool) -> Bool {
        guard let taker, !ordered, reserved.count < Self.maxPerBatch else { return false }
        if sending[endpointID] == nil {
            sending[endpointID] = .some(rows[endpointID].flatMap { try? EndpointSending(row: $0, sealer: sealer) })
        }
        guard let details = sending[endpointID] ?? nil, !details.throttled,
            taker.reserve(endpointID: endpointID, appID: appID)
        else { return false }
        reserved.append((endpointID, appID))
        return true
    }

    /// After the commit: hands the deliveries the statement leased (`leased_*` of its answer) to the dispatcher, and
    /// gives back the reservations of those it did not lease.
    func handOver(ids: [Int64], messageIDs: [String], endpointIDs: [String], batch: [String: Message]) {
        guard let taker else { return }
        var unused = reserved
        var tasks: [DeliveryTask] = []
        for (index, id) in ids.enumerated() where messageIDs.indices.contains(index) && endpointIDs.indices.contains(index) {
            let endpointID = endpointIDs[index]
            guard let message = batch[messageIDs[index]], let details = sending[endpointID] ?? nil,
                let slot = unused.firstIndex(where: { $0.endpointID == endpointID && $0.appID == message.appID })
            else { continue }
            // Not found in the batch or among the reservations (it cannot be): the delivery's lease runs out and a
            // claim takes it.
            unused.remove(at: slot)
            tasks.append(details.task(deliveryID: id, message: message))
        }
        taker.takeOver(tasks, unused: unused)
    }

    /// The batch failed: every reservation goes back.
    func giveBack() {
        taker?.takeOver([], unused: reserved)
    }
}

/// What a delivery to an endpoint is sent with, read with the fan-out's candidates (so as of a moment before the
/// message's commit, as a claim made then would have read it; the insert itself checks that the endpoint is still
/// live, open and unthrottled).
struct EndpointSending {
    var orgID: String
    var appUID: String?
    var endpointID: String
    var endpointUID: String?
    var url: String
    var sealed: SealedColumns
    var policy: EndpointPolicy
    var allowedSubnets: [IPNetwork]
    var throttled: Bool

    init(row: PostgresRandomAccessRow, sealer: SecretSealer) throws {
        let appID = try row.value("app_id", as: String.self)
        endpointID = try row.value("id", as: String.self)
        orgID = try row.value("org_id", as: String.self)
        appUID = try row.value("app_uid", as: String?.self)
        endpointUID = try row.value("uid", as: String?.self)
        url = try row.value("url", as: String.self)
        sealed = try SealedColumns(
            secret: try row.value("secret", as: String.self),
            previousSecrets: try row.value("previous_secrets", as: String.self),
            headers: try row.value("headers", as: String.self),
            appID: appID,
            endpointID: endpointID,
            sealer: sealer
        )
        policy = EndpointPolicy.decoded(stored: try row.value("policy", as: String?.self))?.policy ?? EndpointPolicy()
        allowedSubnets = try Application.subnets(stored: try row.value("allowed_subnets", as: String?.self))
        throttled = try row.value("throttled", as: Bool.self)
    }

    func task(deliveryID: Int64, message: Message) -> DeliveryTask {
        var task = DeliveryTask(
            deliveryID: deliveryID,
            triggerType: .scheduled,
            attemptNumber: 0,
            orgID: orgID,
            appID: message.appID,
            appUID: appUID,
            messageID: message.id,
            eventID: message.eventID,
            eventType: message.eventType,
            payload: message.payload,
            payloadExpiresAt: message.payloadExpiresAt,
            endpointID: endpointID,
            endpointUID: endpointUID,
            url: url,
            secret: sealed.secret,
            previousSecrets: sealed.previousSecrets,
            headers: sealed.headers,
            endpointInactive: false,
            traceParent: message.traceParent,
            policy: policy
        )
        task.inbound = message.inbound
        task.appAllowedSubnets = allowedSubnets
        return task
    }
}
