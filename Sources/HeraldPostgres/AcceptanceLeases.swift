import HeraldCore
import HeraldSQL
import PostgresNIO

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
    /// The dispatcher's time, and the leases' end.
    let now: Timestamp
    let leaseUntil: Timestamp
    /// Every reservation made (message, endpoint, application), leased or not.
    private var reserved: [(messageID: String, endpointID: String, appID: String)] = []
    /// Reservations refused: past `maxPerBatch` of them the batch asks no more (a dispatcher with no room refuses
    /// every delivery of a wide fan-out alike, each refusal taking its lock).
    private var refused = 0
    /// What each endpoint reserved for is sent with; an endpoint left out (gone, throttled, unreadable) leases nothing.
    private var sending: [String: EndpointSending] = [:]

    init(taker: (any AcceptedDeliveryTaker)?) {
        self.taker = taker
        (now, leaseUntil) = taker?.leaseTerms() ?? (Timestamp(milliseconds: 0), Timestamp(milliseconds: 0))
    }

    var owner: String { taker?.owner ?? "" }
    /// The endpoints to read what they are sent with (`EndpointSending`) before the batch is written.
    var endpointsReserved: [String] { Array(Set(reserved.map(\.endpointID))) }

    /// Reserves slots for `message`'s deliveries, as long as the batch has leases left: not for an ordered endpoint's
    /// (they wait their turn).
    mutating func reserve(for message: Message, targets: EndpointMatching.Targets) {
        guard let taker else { return }
        let ordered = Set(targets.ordered)
        for endpointID in targets.deliveries where !ordered.contains(endpointID) {
            guard reserved.count < Self.maxPerBatch, refused < Self.maxPerBatch else { return }
            if taker.reserve(endpointID: endpointID, appID: message.appID) {
                reserved.append((message.id, endpointID, message.appID))
            } else {
                refused += 1
            }
        }
    }

    /// Takes what the reserved endpoints are sent with (the rows of `Statements.SendingEndpoints`).
    mutating func read(_ rows: [PostgresRandomAccessRow], sealer: SecretSealer) {
        for row in rows {
            guard let details = try? EndpointSending(row: row, sealer: sealer), !details.throttled else { continue }
            sending[details.endpointID] = details
        }
    }

    /// Whether to ask the statement to lease `messageID`'s delivery to `endpointID`.
    func leases(messageID: String, endpointID: String) -> Bool {
        sending[endpointID] != nil && reserved.contains { $0.messageID == messageID && $0.endpointID == endpointID }
    }

    /// After the commit: hands the deliveries the statement leased (`leased_*` of its answer) to the dispatcher, and
    /// gives back the reservations of those it did not lease.
    func handOver(ids: [Int64], messageIDs: [String], endpointIDs: [String], batch: [Message]) {
        guard let taker else { return }
        var unused = reserved
        var tasks: [DeliveryTask] = []
        let batch = ids.isEmpty ? [:] : Dictionary(batch.map { ($0.id, $0) }) { first, _ in first }
        for (index, id) in ids.enumerated() where messageIDs.indices.contains(index) && endpointIDs.indices.contains(index) {
            let (messageID, endpointID) = (messageIDs[index], endpointIDs[index])
            // Not in the batch or among the reservations (it cannot be): its lease runs out and a claim takes it.
            guard let message = batch[messageID], let details = sending[endpointID],
                let slot = unused.firstIndex(where: { $0.messageID == messageID && $0.endpointID == endpointID })
            else { continue }
            unused.remove(at: slot)
            tasks.append(details.task(deliveryID: id, message: message))
        }
        taker.takeOver(tasks, leasedUntil: leaseUntil, unused: unused.map { ($0.endpointID, $0.appID) })
    }

    /// The batch failed: every reservation goes back.
    func giveBack() {
        taker?.takeOver([], leasedUntil: leaseUntil, unused: reserved.map { ($0.endpointID, $0.appID) })
    }
}

/// What a delivery to an endpoint is sent with, read just before the batch is written (as a claim made then would
/// have read it; the insert itself checks again that the endpoint is live, open and unthrottled).
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
