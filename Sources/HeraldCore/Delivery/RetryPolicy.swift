import Foundation

/// When to try a failed delivery again, as Svix and Standard Webhooks do it.
///
/// The first attempt is immediate; after failed attempt `n` (0-based) the delay is `schedule[n]`, raised to at
/// least 60 s after a timeout or a 429, moved to a `Retry-After` the receiver asked for (clamped to
/// `[base, 2 × base]`), then jittered uniformly by ±20 %. After `schedule.count` failed retries the delivery is
/// exhausted.
public struct RetryPolicy: Sendable, Hashable {
    /// Seconds to wait after each failed attempt.
    public var schedule: [Double]
    /// Fraction of random spread around each delay.
    public var jitter: Double

    public static let defaultSchedule: [Double] = [5, 300, 1800, 7200, 18000, 36000, 36000]
    /// Minimum wait after a timeout or a 429.
    public static let throttledMinimum: Double = 60

    public init(schedule: [Double] = RetryPolicy.defaultSchedule, jitter: Double = 0.2) {
        self.schedule = schedule
        self.jitter = jitter
    }

    /// Longest wait a schedule may name: 30 days (times stay far inside what every conversion can hold).
    public static let maximumDelaySeconds: Double = 30 * 86_400

    /// Parses `HERALD_RETRY_SCHEDULE`: comma-separated seconds, each from 0 to `maximumDelaySeconds`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.count == text.split(separator: ",").count,
            parts.allSatisfy({ $0.isFinite && (0...Self.maximumDelaySeconds).contains($0) })
        else { return nil }
        self.init(schedule: parts)
    }

    /// How many attempts a delivery gets in all: the immediate one plus one per scheduled retry.
    public var maxAttempts: Int { schedule.count + 1 }

    /// The delay in seconds before the attempt after failed attempt `attempt` (0-based), or nil when exhausted.
    public func delay(
        afterFailedAttempt attempt: Int,
        throttled: Bool,
        retryAfter: Double?,
        using random: inout some RandomNumberGenerator
    ) -> Double? {
        guard attempt >= 0, attempt < schedule.count else { return nil }
        let base = schedule[attempt]
        var delay = throttled ? max(base, Self.throttledMinimum) : base
        if let retryAfter, retryAfter.isFinite {
            delay = min(max(retryAfter, delay), 2 * delay)
        }
        guard jitter > 0, delay > 0 else { return delay }
        return Double.random(in: (delay * (1 - jitter))...(delay * (1 + jitter)), using: &random)
    }
}
