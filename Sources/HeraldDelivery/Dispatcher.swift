import AsyncHTTPClient
import HeraldCore
import Logging
import ServiceLifecycle
import Synchronization
import Tracing

/// The delivery loop, as a `Service`: claims due deliveries in batches with a lease, sends them concurrently up to
/// a hard cap (and a cap per endpoint, see `DispatchSlots`), records every attempt and schedules retries. It is woken
/// at once by new work, by retries and hand-backs, and by freed capacity when its last claim may have left due
/// deliveries for lack of room; a slow poll is only a safety net for retries falling due.
///
/// On graceful shutdown it stops claiming and lets requests in flight finish (each is bounded by the request
/// timeout); deliveries claimed but not started are handed back, and anything else unfinished becomes due again when
/// its lease runs out.
public final class Dispatcher: Service {
    let store: any DeliveryQueue
    let sender: WebhookSender
    let settings: DeliverySettings
    let clock: any WallClock
    let operational: OperationalWebhooks?
    let metrics: HeraldMetrics
    let logger: Logger
    /// Identifies this dispatcher's leases.
    public let owner: String
    /// Whether this process owns the database alone, so every lease found at start is a dead process's.
    let releaseAllLeasesAtStart: Bool

    private let slots: Mutex<DispatchSlots>
    private let parking: Mutex<ParkingPace>
    /// Endpoints closed here by a slow-down or their circuit breaker, until they open again: what was claimed for
    /// them goes back unsent.
    let heldEndpoints = Mutex<[String: Timestamp]>([:])
    /// Failed attempts in a row per endpoint, as this dispatcher saw them (its circuit breaker counts them).
    let breakerFailures = Mutex<[String: Int]>([:])
    /// Endpoints closed by a throttle or a slow-down, until about when they open (for parking).
    let closedHere = Mutex<[String: Timestamp]>([:])
    /// This process's own pacing of throttled requests.
    let pacing = Mutex(SendPacing())
    private let stopping = Atomic(false)
    /// Failures in a row of claims (backed off) and of parking upkeep, each logged per streak (`FailureStreak`).
    private let claimFailures = Mutex(FailureStreak())
    private let upkeepFailures = Mutex(FailureStreak())
    private let idle = IdleWatch()
    /// Deliveries leased to this dispatcher as their messages were stored, admitted and ready to send
    /// (`AcceptedDeliveryTaker`).
    private let takenOver = AsyncStream.makeStream(of: [DeliveryTask].self)
    /// Whether some were handed over after the loop stopped taking them (their leases are handed back at the end).
    private let takenOverUnsent = Atomic(false)

    public init(
        store: any DeliveryQueue,
        settings: DeliverySettings,
        clock: any WallClock = SystemWallClock(),
        operational: OperationalWebhooks?,
        releaseAllLeasesAtStart: Bool,
        resolver: any HostResolver = SystemHostResolver(),
        metrics: HeraldMetrics = .off,
        logger: Logger
    ) {
        self.store = store
        self.metrics = metrics
        self.settings = settings
        self.sender = WebhookSender(settings: settings, resolver: resolver)
        self.clock = clock
        self.operational = operational
        self.releaseAllLeasesAtStart = releaseAllLeasesAtStart
        self.logger = logger
        self.owner = "dispatcher-" + KSUID.make(timestampMs: clock.now().milliseconds)
        self.parking = Mutex(ParkingPace(keep: 2 * settings.maxConcurrencyPerEndpoint))
        self.slots = Mutex(
            DispatchSlots(
                maxInFlight: settings.maxConcurrency,
                maxPerEndpoint: settings.maxConcurrencyPerEndpoint,
                maxPerApplication: settings.maxConcurrencyPerApplication
            )
        )
    }

    /// Wakes the loop (tests use it after moving a manual clock).
    public func wake() {
        store.newWork.signal()
    }

    /// Returns once the dispatcher has caught up: a claim pass begun after this call found nothing due while nothing
    /// was being sent or recorded. Tests hold the clock still and call it before checking that something did not
    /// happen.
    public func untilIdle() async {
        await idle.wait { wake() }
    }

    public func run() async throws {
        defer { idle.finish() }
        logger.notice("delivery worker started", metadata: ["herald.lease_owner": "\(owner)"])
        // The owner is new to this run, so only a database this process owns alone has leases to hand back at start.
        if releaseAllLeasesAtStart { try await store.releaseLeases(owner: nil, now: clock.now()) }
        store.leaseOnAcceptance(to: self)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sendTakenOver() }
            await withGracefulShutdownHandler {
                while !stopping.load(ordering: .relaxed), !Task.isCancelled {
                    let pass = idle.beginPass()
                    let (limit, room) = slots.withLock { slots in
                        let limit = slots.claimLimit
                        slots.claiming(limit)
                        return (limit, slots.room)
                    }
                    var claimed: [DeliveryTask] = []
                    var failed = false
                    if limit > 0 { (claimed, failed) = await claim(limit: limit, room: room) }
                    let holdsParked = parking.withLock { !$0.parkedHere.isEmpty }
                    slots.withLock { [claimed] in
                        $0.noteClaim(limit: limit, room: room, taken: failed ? nil : claimed, holdsParked: holdsParked)
                    }
                    if limit > 0 { claimed = await throttle(claimed) }
                    for task in slots.withLock({ $0.admitClaimed(claimed) }) {
                        idle.begin()
                        group.addTask { await self.send(startingWith: task) }
                    }
                    let released = await parkAndRelease(room: room, limit: limit, claimed: claimed)
                    idle.endPass(
                        pass,
                        started: claimed.count + released,
                        queued: slots.withLock { $0.waitingCount },
                        failed: failed
                    )
                    // Claims run every pass with room, so their streak ends as soon as the database takes writes
                    // again; parking upkeep runs only when there is some to do, so its streak does not hold the loop.
                    let backoff = claimFailures.withLock { $0.backoff }
                    if backoff > .zero {
                        await store.newWork.wait(timeout: backoff)
                    } else if claimed.count < limit || limit <= 0, !store.newWork.takePending() {
                        // (Work signalled during this pass goes to the next claim at once: asking the database how
                        // long to sleep would only delay it.)
                        // Busy counts only while room may hold due deliveries back: only then does a request ending
                        // wake the loop.
                        let busy = !room.claimed.isEmpty && slots.withLock { $0.roomMayHoldBackDue }
                        await store.newWork.wait(timeout: await idleWait(atCapacity: limit <= 0, busy: busy))
                    }
                }
                stopTakingOver()
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .relaxed)
                self.stopTakingOver()
                self.store.newWork.signal()
            }
        }
        // Deliveries claimed ahead and never started fall due again now rather than when their lease runs out.
        if slots.withLock({ $0.waitingCount }) > 0 || takenOverUnsent.load(ordering: .relaxed) {
            do {
                try await store.releaseLeases(owner: owner, now: clock.now())
            } catch {
                logger.error("handing back unsent deliveries failed", metadata: ["herald.error": "\(String(reflecting: error))"])
            }
        }
        try await sender.shutdown()
    }

    /// Sends what the store leased to this dispatcher as it stored it (`takeOver`), until the loop stops.
    private func sendTakenOver() async {
        await withDiscardingTaskGroup { sends in
            for await tasks in takenOver.stream {
                for task in tasks { sends.addTask { await self.send(startingWith: task) } }
            }
        }
    }

    /// No more leases on acceptance: those stored from now on wait for claims. Those being stored as this runs are
    /// handed over too late to be sent here, and fall due again (never lost).
    private func stopTakingOver() {
        store.stopLeasingOnAcceptance(to: self)
        takenOver.continuation.finish()
    }

    /// Due deliveries, or none and `failed` when the claim failed.
    private func claim(limit: Int, room: EndpointRoom) async -> (tasks: [DeliveryTask], failed: Bool) {
        let now = clock.now()
        do {
            let tasks = try await store.claimDeliveries(
                limit: limit,
                now: now,
                leaseUntil: now.adding(seconds: settings.leaseSeconds),
                owner: owner,
                room: room
            )
            noteSuccess("claiming deliveries", in: claimFailures)
            return (tasks, false)
        } catch {
            // Cancelled at shutdown: nothing failed.
            if !Task.isCancelled { noteFailure("claiming deliveries", error, in: claimFailures) }
            return ([], true)
        }
    }

    /// Logs a failure of the loop's database work as its streak says: when it starts and once a minute after.
    private func noteFailure(_ what: String, _ error: any Error, in streak: borrowing Mutex<FailureStreak>) {
        switch streak.withLock({ $0.failed(at: ContinuousClock.now) }) {
        case .started:
            logger.error("\(what) failed; trying again with back-off", metadata: ["herald.error": "\(String(reflecting: error))"])
        case .stillFailing(let failures):
            logger.error(
                "\(what) still failing",
                metadata: ["herald.failures": "\(failures)", "herald.error": "\(String(reflecting: error))"]
            )
        case .quiet:
            break
        }
    }

    /// Ends a streak of failures, logging it when there was one.
    private func noteSuccess(_ what: String, in streak: borrowing Mutex<FailureStreak>) {
        guard let ended = streak.withLock({ $0.succeeded(at: ContinuousClock.now) }) else { return }
        logger.notice(
            "\(what) works again",
            metadata: ["herald.failures": "\(ended.failures)", "herald.seconds": "\(ended.lasted.components.seconds)"]
        )
    }

    /// Deliveries waiting for an endpoint beyond this many are parked while it is full (twice its cap, so an instance
    /// or two can fill its slots from what stays).
    var parkingKeep: Int { parking.withLock { $0.keep } }

    /// Parks the backlogs of endpoints claims have been passing over for lack of room, and lets parked deliveries
    /// back where their endpoint's waiting ones ran out (`ParkingPace`). A failure is logged: the deliveries stay as
    /// they were, waiting, and a later pass tries again. Returns how many deliveries it let back: due now, so a pass
    /// that claimed nothing but released some is not an idle one.
    private func parkAndRelease(room: EndpointRoom, limit: Int, claimed: [DeliveryTask]) async -> Int {
        let now = ContinuousClock.now
        let completions = slots.withLock { $0.takeCompletions() }
        let closed = closedEndpoints()
        let (toPark, runDry, sweep) = parking.withLock {
            (
                $0.endpointsToPark(room.full + closed.subtracting(room.full), completions: completions, now: now),
                $0.endpointsRunDry(room: room, limit: max(limit, 0), claimed: claimed).filter { !closed.contains($0) },
                $0.sweepDue(now: now)
            )
        }
        var released = 0
        do {
            for endpointID in toPark {
                try await store.parkBacklog(endpointID: endpointID, keep: parkingKeep, now: clock.now())
            }
            for endpointID in runDry {
                let count = try await store.releaseParked(endpointID: endpointID, count: parkingKeep)
                released += count
                if count < parkingKeep { parking.withLock { $0.emptied(endpointID) } }
            }
            if sweep {
                released += try await store.releaseParked(keep: parkingKeep, now: clock.now())
                let (cursor, batch) = parking.withLock { ($0.strandedCursor, $0.strandedBatch) }
                let next = try await store.relistStrandedParked(after: cursor, limit: batch, now: clock.now())
                parking.withLock { $0.strandedCursor = next ?? "" }
            }
            // A pass with nothing to do says nothing about whether the database takes writes again.
            if !toPark.isEmpty || !runDry.isEmpty || sweep { noteSuccess("parking or releasing deliveries", in: upkeepFailures) }
        } catch {
            if !Task.isCancelled { noteFailure("parking or releasing deliveries", error, in: upkeepFailures) }
        }
        return released
    }

    /// Sends `first`, then each delivery waiting for the same endpoint, holding one of its slots until none waits. The
    /// slot passes on as soon as a response is in: results are recorded alongside, so a busy endpoint's requests do
    /// not wait for the database.
    private func send(startingWith first: DeliveryTask) async {
        defer { settled() }
        await withDiscardingTaskGroup { recording in
            var task = first
            while true {
                if let opens = heldUntil(task.endpointID) {
                    // A slow-down or the breaker closed it: this and the endpoint's waiting deliveries go back until then.
                    let waiting = slots.withLock { $0.withdrawWaiting(for: task.endpointID) }
                    await handBack([task] + waiting, at: opens)
                } else if await !waitForTurn(task) {
                    // Its rate is taken for the next second: it waits its turn again, unattempted. A probe that sends
                    // nothing tests nothing: the next claim takes another.
                    if task.isProbe { _ = try? await store.openBreaker(endpointID: task.endpointID, until: clock.now()) }
                    await handBack([task], at: clock.now().adding(milliseconds: 1_000))
                } else {
                    let result = await attempt(task)
                    idle.begin()
                    recording.addTask { [task] in
                        await self.record(task, result: result)
                        self.settled()
                    }
                }
                let (next, refill) = slots.withLock { $0.next(after: task, stopping: stopping.load(ordering: .relaxed)) }
                if refill { store.newWork.signal() }
                guard let next else { return }
                task = next
            }
        }
    }

    /// A send or a recording ended: when it was the last and someone waits for idleness, one more pass confirms it.
    private func settled() {
        if idle.end() { store.newWork.signal() }
    }

    /// How long to sleep when a claim found less than it could take: until the next delivery falls due, at most one
    /// poll interval. A delivery due already, while endpoints are `busy` and room may have held it back, is one the
    /// claim passed over for lack of room; a request ending signals the loop, so it waits for that. Otherwise it fell
    /// due since the claim, which goes again at once.
    private func idleWait(atCapacity: Bool, busy: Bool) async -> Duration {
        let poll = Duration.milliseconds(settings.pollIntervalMilliseconds)
        guard !atCapacity, let due = try? await store.nextDueTime(now: clock.now()) else { return poll }
        let until = due.milliseconds(since: clock.now())
        if until <= 0 { return busy ? poll : .milliseconds(1) }
        return min(poll, .milliseconds(until))
    }

    /// Sends one delivery (or ends it without sending when its endpoint or payload is gone); returns what to record.
    func attempt(_ task: DeliveryTask) async -> DeliveryResult {
        let now = clock.now()
        guard !task.endpointInactive, let payload = task.payload, task.payloadExpiresAt > now else {
            metrics.countDelivery(.skipped)
            // A probe that sends nothing tests nothing: the next claim takes another.
            if task.isProbe {
                _ = try? await store.openBreaker(endpointID: task.endpointID, until: now)
                store.newWork.signal()
            }
            return DeliveryResult(attempt: nil, next: .failed)
        }
        guard TraceRecording.isOn else { return await sendAttempt(task, payload: payload, now: now, span: nil) }
        // A child of the publishing request's fan-out span (when the message kept one), carried to the receiver in
        // `traceparent`.
        return await withSpan("herald.attempt", context: TraceParent.context(from: task.traceParent), ofKind: .client) { span in
            await sendAttempt(task, payload: payload, now: now, span: span)
        }
    }

    /// Sends one delivery and decides what to record, within its span when traces are recorded.
    private func sendAttempt(_ task: DeliveryTask, payload: [UInt8], now: Timestamp, span: (any Span)?) async -> DeliveryResult {
        span?.attributes["herald.msg.id"] = task.messageID
        span?.attributes["herald.endpoint.id"] = task.endpointID
        span?.attributes["herald.attempt.number"] = task.attemptNumber + 1
        var request = sender.request(for: task, payload: payload, now: now)
        if let span, let traceParent = TraceParent.of(span.context) { request.headers.replaceOrAdd(name: "traceparent", value: traceParent) }
        let outcome = await sender.send(
            request,
            timeoutSeconds: task.policy.requestTimeoutSeconds(server: settings.requestTimeoutSeconds),
            granted: task.appAllowedSubnets
        )
        span?.attributes["http.response.status_code"] = outcome.statusCode
        span?.attributes["herald.outcome"] = outcome.metricOutcome.rawValue
        if !outcome.succeeded { span?.setStatus(SpanStatus(code: .error)) }
        measure(task, outcome: outcome)
        if SlowDown.asked(statusCode: outcome.statusCode) { await slowDown(task, retryAfterSeconds: outcome.retryAfter) }
        if outcome.metricOutcome != .blocked { await noteBreaker(task, statusCode: outcome.statusCode, succeeded: outcome.succeeded) }
        var result = decide(task, outcome: outcome, sentAt: now)
        result.failedProbe = task.isProbe && !outcome.succeeded && CircuitBreakerPolicy.counts(statusCode: outcome.statusCode)
        return result
    }

    /// Counts the attempt; times the request if one was made; on success, how long the message took to get there.
    private func measure(_ task: DeliveryTask, outcome: SendOutcome) {
        let kind = outcome.metricOutcome
        metrics.countDelivery(kind)
        if kind != .blocked { metrics.deliveryDuration.record(elapsed: .milliseconds(outcome.durationMs)) }
        if kind == .success, let accepted = KSUID.timestampMs(of: task.messageID.dropFirst(IDPrefix.message.rawValue.count)) {
            metrics.deliveryLatency.record(elapsed: .milliseconds(max(0, clock.now().milliseconds - accepted)))
        }
    }

    /// Records a delivery's result (and sends the operational events it calls for).
    func record(_ task: DeliveryTask, result: DeliveryResult) async {
        do {
            let effects = try await store.completeDelivery(
                task,
                result: result,
                owner: owner,
                now: clock.now(),
                disableAfterSeconds: settings.disableAfterSeconds
            )
            // An ordered endpoint's next delivery falls due only now that this result is recorded: claim it at once,
            // not at the next poll (one delivery a poll interval, otherwise, for an endpoint that is sent nothing else).
            // A retry's time is news too: the loop's sleep may have been measured before it existed.
            if task.policy.isOrdered { store.newWork.signal() } else if case .retry = result.next { store.newWork.signal() }
            if effects.endpointDisabled != nil { metrics.endpointsDisabled.increment() }
            await report(task, result: result, effects: effects)
        } catch {
            // The lease runs out and the delivery is tried again: at least once, never lost.
            logger.error(
                "recording a delivery failed",
                metadata: Self.logMetadata(task).merging(["herald.error": "\(String(reflecting: error))"]) { $1 }
            )
        }
    }

    /// Turns an HTTP outcome into the attempt row and the delivery's next state.
    func decide(_ task: DeliveryTask, outcome: SendOutcome, sentAt: Timestamp) -> DeliveryResult {
        let attempt = Attempt(
            id: IDPrefix.attempt.makeID(timestampMs: sentAt.milliseconds),
            messageID: task.messageID,
            endpointID: task.endpointID,
            appID: task.appID,
            url: task.url,
            response: outcome.response,
            responseStatusCode: outcome.statusCode,
            responseDurationMs: outcome.durationMs,
            status: outcome.succeeded ? .success : .fail,
            triggerType: task.triggerType,
            createdAt: sentAt
        )
        if outcome.succeeded { return DeliveryResult(attempt: attempt, next: .succeeded) }
        if outcome.statusCode == 410 { return DeliveryResult(attempt: attempt, next: .failed, disableEndpoint: true) }
        guard task.triggerType == .scheduled else { return DeliveryResult(attempt: attempt, next: .failed) }
        var random = SystemRandomNumberGenerator()
        guard
            let delay = task.policy.retryPolicy(server: settings.retryPolicy).delay(
                afterFailedAttempt: task.attemptNumber,
                throttled: outcome.timedOut || outcome.statusCode == 429,
                retryAfter: outcome.retryAfter,
                using: &random
            )
        else { return DeliveryResult(attempt: attempt, next: .failed) }
        let delayMs = Int64(exactly: (delay * 1000).rounded()) ?? Int64(RetryPolicy.maximumDelaySeconds * 2000)
        return DeliveryResult(attempt: attempt, next: .retry(at: clock.now().adding(milliseconds: delayMs)))
    }

    /// What every log line about a delivery names: its message, endpoint and application.
    static func logMetadata(_ task: DeliveryTask) -> Logger.Metadata {
        ["herald.msg.id": "\(task.messageID)", "herald.endpoint.id": "\(task.endpointID)", "herald.app.id": "\(task.appID)"]
    }

    /// Logs the result and sends the operational events it calls for.
    private func report(_ task: DeliveryTask, result: DeliveryResult, effects: DeliveryEffects) async {
        var metadata = Self.logMetadata(task)
        metadata["herald.attempt.number"] = "\(task.attemptNumber)"
        if let attempt = result.attempt {
            metadata["herald.attempt.id"] = "\(attempt.id)"
            metadata["herald.status_code"] = "\(attempt.responseStatusCode)"
        }
        logger.debug("delivery attempt", metadata: metadata)
        guard let operational else { return }
        var data: [String: JSONValue] = ["appId": .string(task.appID), "endpointId": .string(task.endpointID)]
        if let uid = task.appUID { data["appUid"] = .string(uid) }
        do {
            if let since = effects.endpointDisabled {
                var disabled = data
                if let uid = task.endpointUID { disabled["endpointUid"] = .string(uid) }
                disabled["failSince"] = .string(since.description)
                try await operational.emit(.endpointDisabled, orgID: task.orgID, data: disabled)
            }
            guard task.triggerType == .scheduled, let attempt = result.attempt else { return }
            data["msgId"] = .string(task.messageID)
            if let eventID = task.eventID { data["msgEventId"] = .string(eventID) }
            data["lastAttempt"] = .object([
                "id": .string(attempt.id), "responseStatusCode": .integer(Int64(attempt.responseStatusCode)),
                "timestamp": .string(attempt.createdAt.description),
            ])
            switch result.next {
            case .retry where task.attemptNumber == 3:
                try await operational.emit(.attemptFailing, orgID: task.orgID, data: data)
            case .failed:
                try await operational.emit(.attemptExhausted, orgID: task.orgID, data: data)
            case .succeeded where task.attemptNumber >= 4:
                try await operational.emit(.attemptRecovered, orgID: task.orgID, data: data)
            default:
                break
            }
        } catch {
            logger.error("queueing an operational webhook failed", metadata: ["herald.error": "\(String(reflecting: error))"])
        }
    }
}

extension Dispatcher: AcceptedDeliveryTaker {
    public func leaseTerms() -> (now: Timestamp, until: Timestamp) {
        let now = clock.now()
        return (now, now.adding(seconds: settings.leaseSeconds))
    }

    public func reserve(endpointID: String, appID: String) -> Bool {
        guard !stopping.load(ordering: .relaxed) else { return false }
        return slots.withLock { $0.reserve(endpointID: endpointID, appID: appID) }
    }

    public func takeOver(_ tasks: [DeliveryTask], leasedUntil: Timestamp, unused: [(endpointID: String, appID: String)]) {
        // Half the lease gone before the hand-over (a database that stalled mid-commit): sent from here, a delivery
        // could outlive its lease and be claimed beside it. It waits for a claim once its lease runs out instead.
        let late = clock.now().adding(seconds: settings.leaseSeconds / 2) > leasedUntil
        if late, !tasks.isEmpty {
            logger.warning("deliveries leased as their messages were stored came late; they are claimed when their leases run out")
        }
        let start = slots.withLock { slots in
            for reservation in unused { slots.unreserve(endpointID: reservation.endpointID, appID: reservation.appID) }
            for task in tasks { slots.unreserve(endpointID: task.endpointID, appID: task.appID) }
            return late ? [] : slots.admit(tasks)
        }
        guard !start.isEmpty else { return }
        // Counted before the store answers the message, so that `untilIdle` cannot report idleness in between.
        for _ in start { idle.begin() }
        if case .terminated = takenOver.continuation.yield(start) {
            // Stopping: they are not sent here, and fall due again when the loop ends (or, handed over later still,
            // when their leases run out).
            takenOverUnsent.store(true, ordering: .relaxed)
            for task in start {
                _ = slots.withLock { $0.next(after: task, stopping: true) }
                settled()
            }
        }
    }
}
