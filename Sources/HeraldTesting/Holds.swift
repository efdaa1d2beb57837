/// Waits until `condition` holds, looking every 10 ms; false if it still does not after `limit` (a bound on "never",
/// not a measurement). Tests wait for an exact state (a stream open, a long-poll waiting) with it instead of sleeping.
public func holds(within limit: Duration = .seconds(20), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}
