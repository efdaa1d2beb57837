/// What recording a delivery result does to the stored state — the one definition of the delivery state machine;
/// each backend only executes it (SQLite in its write transaction, PostgreSQL in one statement or transaction).
///
/// A scheduled delivery moves on (delivered, retry at a time, failed for good); a manual attempt is one-shot and its
/// row goes, and when it succeeds it also settles the message's scheduled delivery to that endpoint if that one is
/// waiting (not leased). Success clears the endpoint's auto-disable clock; a 410 disables the endpoint at once; a
/// scheduled delivery exhausted after a real attempt consults the clock (`AutoDisable`).
public struct DeliveryOutcome: Sendable, Hashable {
    /// The change to the delivery row itself.
    public enum RowChange: Sendable, Hashable {
        /// `status`, the next due time (nil: not due again) and how many attempts to add to its count.
        case update(status: MessageStatus, nextAttemptAt: Timestamp?, attemptsAdded: Int)
        case delete
    }

    public var row: RowChange
    /// Mark the message's waiting scheduled delivery to the same endpoint delivered (a manual attempt succeeded).
    public var settlesScheduledDelivery: Bool
    /// Forget the endpoint's failures (it answered with success).
    public var clearsFailureTracking: Bool
    /// Disable the endpoint now (it answered 410 Gone).
    public var disablesEndpoint: Bool
    /// Exhausted after an attempt: `AutoDisable.decide` says whether the endpoint has failed for long enough.
    public var countsTowardAutoDisable: Bool
    /// The head of an ordered endpoint is done (delivered or given up, or delivered by a manual attempt): the next of
    /// its deliveries comes due.
    public var advancesOrder: Bool

    public init(trigger: TriggerType, result: DeliveryResult, ordered: Bool = false) {
        let succeeded = result.next == .succeeded
        disablesEndpoint = result.disableEndpoint
        clearsFailureTracking = succeeded
        switch trigger {
        case .manual:
            row = .delete
            settlesScheduledDelivery = succeeded
            countsTowardAutoDisable = false
        case .scheduled:
            let attempts = result.attempt == nil ? 0 : 1
            row =
                switch result.next {
                case .succeeded: .update(status: .success, nextAttemptAt: nil, attemptsAdded: attempts)
                case .retry(let at): .update(status: .sending, nextAttemptAt: at, attemptsAdded: attempts)
                case .failed: .update(status: .fail, nextAttemptAt: nil, attemptsAdded: attempts)
                }
            settlesScheduledDelivery = false
            countsTowardAutoDisable =
                (result.next == .failed || result.failedProbe) && result.attempt != nil && !result.disableEndpoint
        }
        switch (trigger, result.next) {
        case (_, .retry): advancesOrder = false
        case (.scheduled, _): advancesOrder = ordered
        case (.manual, _): advancesOrder = ordered && settlesScheduledDelivery
        }
    }

    /// Nothing but the row change, the attempt and (on success) the cleared clock: the outcomes a backend may write in
    /// batches of many deliveries at once, with no per-delivery decisions.
    public var isRoutine: Bool {
        guard case .update = row else { return false }
        return !disablesEndpoint && !countsTowardAutoDisable && !settlesScheduledDelivery && !advancesOrder
    }
}

/// Auto-disable, as Svix does it: the first exhausted delivery of an endpoint starts a clock; one exhausted after
/// `disableAfterSeconds` with no success in between disables the endpoint. A clock lapses twice that long after it
/// started; the next exhaustion then starts a new one.
public enum AutoDisable {
    /// An endpoint's running clock, as stored.
    public struct Clock: Sendable, Hashable {
        public var firstFailureAt: Timestamp
        public var expiresAt: Timestamp

        public init(firstFailureAt: Timestamp, expiresAt: Timestamp) {
            self.firstFailureAt = firstFailureAt
            self.expiresAt = expiresAt
        }
    }

    public enum Decision: Sendable, Hashable {
        /// No running clock: store this one.
        case start(Clock)
        /// The clock runs; not long enough yet.
        case wait
        /// Failing for long enough: disable the endpoint; its failures began at `since`.
        case disable(since: Timestamp)
    }

    /// What one more exhausted delivery at `now` means, given the endpoint's stored clock.
    public static func decide(clock: Clock?, now: Timestamp, disableAfterSeconds: Int64) -> Decision {
        guard let clock, clock.expiresAt > now else {
            let lapse = disableAfterSeconds.multipliedReportingOverflow(by: 2)
            let expiresAt = now.adding(seconds: lapse.overflow ? Int64.max : lapse.partialValue)
            return .start(Clock(firstFailureAt: now, expiresAt: expiresAt))
        }
        let window = disableAfterSeconds.multipliedReportingOverflow(by: 1000)
        let failingFor = now.milliseconds(since: clock.firstFailureAt)
        return failingFor >= (window.overflow ? Int64.max : window.partialValue) ? .disable(since: clock.firstFailureAt) : .wait
    }
}
