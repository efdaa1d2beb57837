/// Something that just happened, as the live views show it.
public enum LiveActivity: Sendable, Hashable {
    /// A message was accepted (its payload is not carried).
    case message(Message)
    case attempt(Attempt)

    public var id: String {
        switch self {
        case .message(let message): message.id
        case .attempt(let attempt): attempt.id
        }
    }

    public var createdAt: Timestamp {
        switch self {
        case .message(let message): message.createdAt
        case .attempt(let attempt): attempt.createdAt
        }
    }
}

/// Counters of the last minute and the queue as it stands, for the live views.
public struct LiveStats: Sendable, Hashable {
    public var windowSeconds: Int
    public var messages: Int
    public var attempts: Int
    public var successfulAttempts: Int
    /// Request durations of the window's attempts (a bounded sample), in milliseconds.
    public var durationsMs: [Int64]
    /// Deliveries due now and not being sent.
    public var due: Int
    /// Deliveries waiting for a retry.
    public var retrying: Int
    /// The scope's inbound sources (the first 50 by id) and their traffic.
    public var sources: [SourceTrafficRow] = []

    public init(
        windowSeconds: Int,
        messages: Int,
        attempts: Int,
        successfulAttempts: Int,
        durationsMs: [Int64],
        due: Int,
        retrying: Int,
        sources: [SourceTrafficRow] = []
    ) {
        self.sources = sources
        self.windowSeconds = windowSeconds
        self.messages = messages
        self.attempts = attempts
        self.successfulAttempts = successfulAttempts
        self.durationsMs = durationsMs
        self.due = due
        self.retrying = retrying
    }
}

/// An endpoint as the operator's view shows its health.
public struct EndpointHealth: Sendable, Hashable {
    public var endpoint: Endpoint
    public var appName: String
    public var deleted: Bool
    /// When its deliveries began exhausting their retries with no success since (auto-disable's clock).
    public var failingSince: Timestamp?
    public var lastStatusCode: Int?
    public var lastAttemptAt: Timestamp?
    /// Its circuit breaker, and until when nothing is sent to it (a slow-down, a cool-down, a probe), if paused.
    public var circuitBreaker: BreakerState
    public var pausedUntil: Timestamp?

    public init(
        endpoint: Endpoint,
        appName: String,
        deleted: Bool,
        failingSince: Timestamp?,
        lastStatusCode: Int?,
        lastAttemptAt: Timestamp?,
        circuitBreaker: BreakerState = .closed,
        pausedUntil: Timestamp? = nil
    ) {
        self.circuitBreaker = circuitBreaker
        self.pausedUntil = pausedUntil
        self.endpoint = endpoint
        self.appName = appName
        self.deleted = deleted
        self.failingSince = failingSince
        self.lastStatusCode = lastStatusCode
        self.lastAttemptAt = lastAttemptAt
    }
}

/// Activity of one slice of time, for the live views' chart.
public struct LiveBucket: Sendable, Hashable {
    public var start: Timestamp
    public var messages: Int
    public var successfulAttempts: Int

    public init(start: Timestamp, messages: Int, successfulAttempts: Int) {
        self.start = start
        self.messages = messages
        self.successfulAttempts = successfulAttempts
    }
}

/// What the live views read: recent activity of an organisation (or one application) and its counters. Everything
/// comes from the database, so a view connected to one instance sees what every instance did.
public protocol LiveStore: Sendable {
    /// Messages and attempts created at or after `since`, oldest first, at most `limit`.
    func liveActivity(orgID: String, appID: String?, since: Timestamp, limit: Int) async throws -> [LiveActivity]
    /// The health of live endpoints (at most 500, by id) — or, with `changedSince`, of those created, updated or
    /// deleted since then.
    func endpointHealth(orgID: String, appID: String?, changedSince: Timestamp?) async throws -> [EndpointHealth]
    /// Messages and successful attempts per `bucketSeconds` over `[now - minutes, now)`, oldest first, empty buckets
    /// included.
    func liveHistory(orgID: String, appID: String?, now: Timestamp, minutes: Int, bucketSeconds: Int) async throws -> [LiveBucket]
    /// Counters over `[now - windowSeconds, now)` and the queue now.
    func liveStats(orgID: String, appID: String?, now: Timestamp, windowSeconds: Int) async throws -> LiveStats
}

extension LiveStats {
    /// Most attempts a backend reads for the latency figures.
    public static let sampleLimit = 20_000

    /// The `q`-quantile (0…1) of the sampled durations, nil without attempts.
    public func durationQuantile(_ q: Double) -> Int64? {
        guard !durationsMs.isEmpty else { return nil }
        let sorted = durationsMs.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.down)))]
    }
}

extension LiveActivity {
    /// Messages and attempts merged by time, then id; the first `limit`.
    public static func ordered(_ activity: [LiveActivity], limit: Int) -> [LiveActivity] {
        Array(activity.sorted { ($0.createdAt.milliseconds, $0.id) < ($1.createdAt.milliseconds, $1.id) }.prefix(limit))
    }
}

extension LiveBucket {
    /// Every bucket of the window, filled from `(bucket start, messages, successes)` counts a backend grouped.
    public static func series(now: Timestamp, minutes: Int, bucketSeconds: Int, counts: [Int64: (Int, Int)]) -> [LiveBucket] {
        let width = Int64(bucketSeconds) * 1000
        let first = (now.milliseconds - Int64(minutes) * 60_000) / width * width
        return stride(from: first, to: now.milliseconds, by: Int(width)).map { start in
            let count = counts[start] ?? (0, 0)
            return LiveBucket(start: Timestamp(milliseconds: start), messages: count.0, successfulAttempts: count.1)
        }
    }
}
