import HeraldCore

/// The events of `GET /api/v1/live`, as JSON.
enum LiveEvent {
    struct MessageOut: Encodable {
        var id: String
        var appId: String
        var eventType: String
        var eventId: String?
        var channels: [String]?
        var timestamp: Timestamp
    }

    struct AttemptOut: Encodable {
        var id: String
        var msgId: String
        var endpointId: String
        var appId: String
        var url: String
        var status: Int
        var responseStatusCode: Int
        var responseDurationMs: Int64
        var triggerType: Int
        var timestamp: Timestamp
    }

    struct EndpointOut: Encodable {
        var id: String
        var uid: String?
        var appId: String
        var appName: String
        var url: String
        var description: String
        var disabled: Bool
        var deleted: Bool
        var failingSince: Timestamp?
        var lastStatusCode: Int?
        var lastAttemptAt: Timestamp?
        var circuitBreaker: String
        var pausedUntil: Timestamp?
        /// What its policy and throttle rate change about delivery, in a word each (for the views).
        var delivery: [String]

        init(_ health: EndpointHealth) {
            id = health.endpoint.id
            uid = health.endpoint.uid
            appId = health.endpoint.appID
            appName = health.appName
            url = health.endpoint.url
            description = health.endpoint.description
            disabled = health.endpoint.disabled
            deleted = health.deleted
            failingSince = health.failingSince
            lastStatusCode = health.lastStatusCode
            lastAttemptAt = health.lastAttemptAt
            circuitBreaker =
                switch health.circuitBreaker {
                case .closed: "closed"
                case .open: "open"
                case .probing: "probing"
                }
            pausedUntil = health.pausedUntil
            let policy = health.endpoint.policy
            delivery = [
                policy.isOrdered ? "in order" : nil,
                health.endpoint.throttleRate.map { "\($0)/s" },
                policy.filter == nil ? nil : "filtered",
                policy.retrySchedule.map { $0.isEmpty ? "no retries" : $0.count == 1 ? "1 retry" : "\($0.count) retries" },
                policy.timeoutSeconds.map { "\($0) s timeout" },
                policy.circuitBreaker?.enabled == false ? "no breaker" : nil,
            ].compactMap { $0 }
        }

        enum CodingKeys: String, CodingKey {
            case id, uid, appId, appName, url, description, disabled, deleted, failingSince, lastStatusCode, lastAttemptAt
            case circuitBreaker, pausedUntil, delivery
        }

        /// Absent values are `null`, so a page can tell "cleared" from "not sent".
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(uid, forKey: .uid)
            try container.encode(appId, forKey: .appId)
            try container.encode(appName, forKey: .appName)
            try container.encode(url, forKey: .url)
            try container.encode(description, forKey: .description)
            try container.encode(disabled, forKey: .disabled)
            try container.encode(deleted, forKey: .deleted)
            try container.encode(failingSince, forKey: .failingSince)
            try container.encode(lastStatusCode, forKey: .lastStatusCode)
            try container.encode(lastAttemptAt, forKey: .lastAttemptAt)
            try container.encode(circuitBreaker, forKey: .circuitBreaker)
            try container.encode(pausedUntil, forKey: .pausedUntil)
            try container.encode(delivery, forKey: .delivery)
        }
    }

    /// Counts per bucket over the last minutes, for the chart at connect.
    struct HistoryOut: Encodable {
        struct Bucket: Encodable {
            var at: Timestamp
            var messages: Int
            var deliveries: Int
        }

        var bucketSeconds: Int
        var buckets: [Bucket]
    }

    struct HealthOut: Encodable {
        var endpoints: [EndpointOut]
    }

    struct StatsOut: Encodable {
        var at: Timestamp
        var windowSeconds: Int
        var messagesPerSecond: Double
        var deliveriesPerSecond: Double
        /// Successful attempts ÷ attempts in the window; nil without attempts.
        var successRate: Double?
        var p50Ms: Int64?
        var p99Ms: Int64?
        var due: Int
        var retrying: Int
        var sources: [SourceTrafficOut]

        init(_ stats: LiveStats, at: Timestamp) {
            self.at = at
            windowSeconds = stats.windowSeconds
            messagesPerSecond = Double(stats.messages) / Double(stats.windowSeconds)
            deliveriesPerSecond = Double(stats.successfulAttempts) / Double(stats.windowSeconds)
            successRate = stats.attempts == 0 ? nil : Double(stats.successfulAttempts) / Double(stats.attempts)
            p50Ms = stats.durationQuantile(0.5)
            p99Ms = stats.durationQuantile(0.99)
            due = stats.due
            retrying = stats.retrying
            sources = stats.sources.map(SourceTrafficOut.init)
        }

        enum CodingKeys: String, CodingKey {
            case at, windowSeconds, messagesPerSecond, deliveriesPerSecond, successRate, p50Ms, p99Ms, due, retrying, sources
        }

        /// Absent figures are `null`, so every stats event has the same keys.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(at, forKey: .at)
            try container.encode(windowSeconds, forKey: .windowSeconds)
            try container.encode(messagesPerSecond, forKey: .messagesPerSecond)
            try container.encode(deliveriesPerSecond, forKey: .deliveriesPerSecond)
            try container.encode(successRate, forKey: .successRate)
            try container.encode(p50Ms, forKey: .p50Ms)
            try container.encode(p99Ms, forKey: .p99Ms)
            try container.encode(due, forKey: .due)
            try container.encode(retrying, forKey: .retrying)
            try container.encode(sources, forKey: .sources)
        }
    }
}

extension LiveEvent.MessageOut {
    init(_ message: Message) {
        self.init(
            id: message.id,
            appId: message.appID,
            eventType: message.eventType,
            eventId: message.eventID,
            channels: message.channels,
            timestamp: message.createdAt
        )
    }
}

extension LiveEvent.AttemptOut {
    init(_ attempt: Attempt) {
        self.init(
            id: attempt.id,
            msgId: attempt.messageID,
            endpointId: attempt.endpointID,
            appId: attempt.appID,
            url: attempt.url,
            status: attempt.status.rawValue,
            responseStatusCode: attempt.responseStatusCode,
            responseDurationMs: attempt.responseDurationMs,
            triggerType: attempt.triggerType.rawValue,
            timestamp: attempt.createdAt
        )
    }
}

/// A source's traffic in a `stats` event.
struct SourceTrafficOut: Encodable {
    var id: String
    var appId: String
    var name: String
    var disabled: Bool
    var received: Int64
    var accepted: Int64
    var duplicates: Int64
    var rejected: Int64
    var lastRejection: String?
    var lastRejectedAt: Timestamp?
    var recentRejections: [SourceTraffic.RejectionSample]

    init(_ row: SourceTrafficRow) {
        id = row.sourceID
        appId = row.appID
        name = row.name
        disabled = row.disabled
        received = row.traffic.received
        accepted = row.traffic.accepted
        duplicates = row.traffic.duplicates
        rejected = row.traffic.rejected
        lastRejection = row.traffic.lastRejection
        lastRejectedAt = row.traffic.lastRejectedAt
        recentRejections = row.traffic.recentRejections
    }

    func encode(to encoder: any Encoder) throws {
        // Absent figures are `null`, so every source has the same keys.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(appId, forKey: .appId)
        try container.encode(name, forKey: .name)
        try container.encode(disabled, forKey: .disabled)
        try container.encode(received, forKey: .received)
        try container.encode(accepted, forKey: .accepted)
        try container.encode(duplicates, forKey: .duplicates)
        try container.encode(rejected, forKey: .rejected)
        try container.encode(lastRejection, forKey: .lastRejection)
        try container.encode(lastRejectedAt, forKey: .lastRejectedAt)
        try container.encode(recentRejections, forKey: .recentRejections)
    }

    enum CodingKeys: String, CodingKey {
        case id, appId, name, disabled, received, accepted, duplicates, rejected, lastRejection, lastRejectedAt, recentRejections
    }
}
