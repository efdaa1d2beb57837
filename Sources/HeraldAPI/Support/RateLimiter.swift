import Synchronization

/// Token buckets by key (an application id): each refills at `perSecond` up to `burst`, and a request takes its cost
/// or is told how long to wait. Per instance: behind a load balancer each instance grants its own share.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let perSecond: Double
    let burst: Double
    /// Most keys remembered; past it, buckets that have refilled completely are forgotten (they hold no state).
    static let capacity = 100_000
    private let buckets = Mutex<[String: Bucket]>([:])

    /// `perSecond` 0 turns the limiter off.
    init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = max(burst, 1)
    }

    var isOff: Bool { perSecond <= 0 }

    /// Whether `key` has `cost` tokens now (nothing is taken): an empty bucket refuses before any work is done, and a
    /// request is charged only once it proved good.
    func wouldGrant(_ key: String, cost: Double = 1, now: ContinuousClock.Instant = .now) -> Int? {
        guard !isOff else { return nil }
        return buckets.withLock { buckets -> Int? in
            guard let bucket = buckets[key] else { return nil }
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let tokens = min(burst, bucket.tokens + max(0, seconds) * perSecond)
            guard tokens < min(cost, burst) else { return nil }
            return Int(exactly: ((min(cost, burst) - tokens) / perSecond).rounded(.up)) ?? 3600
        }
    }

    /// Takes `cost` tokens for `key`; nil when granted, otherwise the whole seconds until they will be there.
    func take(_ key: String, cost: Double = 1, now: ContinuousClock.Instant = .now) -> Int? {
        guard !isOff else { return nil }
        return buckets.withLock { buckets -> Int? in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + max(0, seconds) * perSecond)
            bucket.updated = now
            let granted = bucket.tokens >= cost
            if granted { bucket.tokens -= cost }
            if buckets.count >= Self.capacity, buckets[key] == nil {
                // Buckets that would have refilled by now hold no state: forget them (judged by their refilled value).
                let full = Duration.seconds(burst / perSecond)
                buckets = buckets.filter { now - $0.value.updated < full }
                // Still full of live buckets (someone making keys): start over rather than pay this on every new key.
                if buckets.count >= Self.capacity { buckets.removeAll(keepingCapacity: true) }
            }
            buckets[key] = bucket
            guard !granted else { return nil }
            let wait = (min(cost, burst) - bucket.tokens) / perSecond
            return Int(exactly: wait.rounded(.up)) ?? 3600
        }
    }
}

/// Open streams per key (a token, a tenant), so no one can hold an unbounded number of them.
final class StreamCounter: Sendable {
    let maxPerToken: Int
    private let open = Mutex<[String: Int]>([:])

    init(maxPerToken: Int) {
        self.maxPerToken = maxPerToken
    }

    /// A slot for a new stream of `key`, or nil when it already has `cap` open. The slot is given back when it is
    /// released from memory — when the response holding it is done or dropped, even if its body never ran.
    func acquire(_ key: String, cap: Int) -> Slot? {
        let granted = open.withLock { open in
            let count = open[key, default: 0]
            guard count < cap else { return false }
            open[key] = count + 1
            return true
        }
        return granted ? Slot(counter: self, key: key) : nil
    }

    /// Streams open under keys starting with `prefix`.
    func count(prefix: String) -> Int {
        open.withLock { open in open.filter { $0.key.hasPrefix(prefix) }.values.reduce(0, +) }
    }

    fileprivate func release(_ key: String) {
        open.withLock { open in
            let count = open[key, default: 1] - 1
            open[key] = count > 0 ? count : nil
        }
    }

    /// One open stream, counted until this is freed.
    final class Slot: Sendable {
        let counter: StreamCounter
        let key: String

        fileprivate init(counter: StreamCounter, key: String) {
            self.counter = counter
            self.key = key
        }

        deinit { counter.release(key) }
    }
}
