import HeraldCore

/// Which circuit-breaker changes become operational webhooks. A flapping endpoint (a customer may set a one-second
/// cool-down and a threshold of one) would otherwise send its operator an opened/closed pair every few seconds: after
/// an `opened` is sent for an endpoint, the next opening within `window` is withheld, and so is the closing that ends
/// it. A withheld opening that outlasts the window (a failed probe finds it still open) is sent then, late but true,
/// so the last event the operator saw always matches the breaker once it settles. Per process, like the failure counts.
struct BreakerNotices {
    var window: Int64 = 60_000
    /// When an `opened` was last sent, per endpoint; bounded as `DispatchSlots`' tables are.
    private var lastOpened: [String: Timestamp] = [:]
    /// Endpoints whose current opening was withheld.
    private var withheld: Set<String> = []
    private let capacity = 10_000

    /// The breaker opened: whether to send `endpoint.circuit.opened` now.
    mutating func opened(_ endpointID: String, now: Timestamp) -> Bool {
        if let last = lastOpened[endpointID], now.milliseconds(since: last) < window {
            withheld.insert(endpointID)
            return false
        }
        forgetOld(now: now)
        // Past the bound, an endpoint not tracked is announced every time (never another's record dropped for it).
        if lastOpened.count < capacity { lastOpened[endpointID] = now }
        withheld.remove(endpointID)
        return true
    }

    /// A probe failed, so the breaker is open still: whether to send the withheld `opened` now.
    mutating func stillOpen(_ endpointID: String, now: Timestamp) -> Bool {
        guard withheld.contains(endpointID), let last = lastOpened[endpointID], now.milliseconds(since: last) >= window else {
            return false
        }
        lastOpened[endpointID] = now
        withheld.remove(endpointID)
        return true
    }

    /// The breaker closed: whether to send `endpoint.circuit.closed` (not when the opening it ends was withheld).
    mutating func closed(_ endpointID: String) -> Bool {
        withheld.remove(endpointID) == nil
    }

    private mutating func forgetOld(now: Timestamp) {
        guard lastOpened.count >= capacity else { return }
        lastOpened = lastOpened.filter { withheld.contains($0.key) || now.milliseconds(since: $0.value) < window }
    }
}
