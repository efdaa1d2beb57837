import HeraldCore

/// Holds a long-lived response (a live view, a feed stream) to the rights of the token that opened it: every
/// `interval` it looks again at the token's expiry and at the revocations, so a logout or an expiry ends the stream
/// within that time on every instance.
struct TokenWatch {
    let token: VerifiedToken?
    let revocations: any TokenRevocationStore
    let clock: any WallClock
    let interval: Duration
    private var nextCheck: ContinuousClock.Instant

    init(token: VerifiedToken?, environment: APIEnvironment) {
        self.token = token
        self.revocations = environment.store
        self.clock = environment.clock
        self.interval = environment.settings.tokenRecheckInterval
        self.nextCheck = .now + interval
    }

    /// False once the token has expired or been logged out; looks at the store at most once per `interval`.
    mutating func stillValid() async throws -> Bool {
        guard let token else { return false }
        if let expiresAt = token.expiresAt, expiresAt <= clock.now() { return false }
        guard ContinuousClock.now >= nextCheck else { return true }
        nextCheck = .now + interval
        return try await !revocations.isTokenRevoked(hashes: token.revocationHashes)
    }
}
