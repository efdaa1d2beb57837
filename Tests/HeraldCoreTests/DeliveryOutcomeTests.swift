import HeraldCore
import Testing

/// The delivery state machine and the auto-disable clock, without a database: the backends only execute these.
@Suite struct DeliveryOutcomeTests {
    static let now = Timestamp(milliseconds: 1_800_000_000_000)

    static func attempt(_ status: MessageStatus, trigger: TriggerType = .scheduled) -> Attempt {
        Attempt(
            id: "atmpt_x",
            messageID: "msg_x",
            endpointID: "ep_x",
            appID: "app_x",
            url: "https://example.com",
            response: "",
            responseStatusCode: status == .success ? 200 : 500,
            responseDurationMs: 1,
            status: status,
            triggerType: trigger,
            createdAt: now
        )
    }

    @Test func aScheduledSuccessIsRoutineAndClearsTheClock() {
        let outcome = DeliveryOutcome(trigger: .scheduled, result: DeliveryResult(attempt: Self.attempt(.success), next: .succeeded))
        #expect(outcome.row == .update(status: .success, nextAttemptAt: nil, attemptsAdded: 1))
        #expect(outcome.clearsFailureTracking)
        #expect(!outcome.countsTowardAutoDisable && !outcome.disablesEndpoint && !outcome.settlesScheduledDelivery)
        #expect(outcome.isRoutine)
    }

    @Test func aRetryKeepsTheClockAndIsDueAgain() {
        let at = Self.now.adding(seconds: 5)
        let outcome = DeliveryOutcome(trigger: .scheduled, result: DeliveryResult(attempt: Self.attempt(.fail), next: .retry(at: at)))
        #expect(outcome.row == .update(status: .sending, nextAttemptAt: at, attemptsAdded: 1))
        #expect(!outcome.clearsFailureTracking && !outcome.countsTowardAutoDisable)
        #expect(outcome.isRoutine)
    }

    @Test func exhaustionAfterAnAttemptConsultsTheClock() {
        let outcome = DeliveryOutcome(trigger: .scheduled, result: DeliveryResult(attempt: Self.attempt(.fail), next: .failed))
        #expect(outcome.row == .update(status: .fail, nextAttemptAt: nil, attemptsAdded: 1))
        #expect(outcome.countsTowardAutoDisable)
        #expect(!outcome.isRoutine)
    }

    @Test func endingWithoutAnAttemptCountsNothing() {
        let outcome = DeliveryOutcome(trigger: .scheduled, result: DeliveryResult(attempt: nil, next: .failed))
        #expect(outcome.row == .update(status: .fail, nextAttemptAt: nil, attemptsAdded: 0))
        #expect(!outcome.countsTowardAutoDisable)
        #expect(outcome.isRoutine)
    }

    @Test func goneDisablesAtOnceAndDoesNotAlsoRunTheClock() {
        let outcome = DeliveryOutcome(
            trigger: .scheduled,
            result: DeliveryResult(attempt: Self.attempt(.fail), next: .failed, disableEndpoint: true)
        )
        #expect(outcome.disablesEndpoint)
        #expect(!outcome.countsTowardAutoDisable)
        #expect(!outcome.isRoutine)
    }

    @Test func aManualAttemptIsOneShotAndItsSuccessSettlesTheScheduledDelivery() {
        let succeeded = DeliveryOutcome(
            trigger: .manual,
            result: DeliveryResult(attempt: Self.attempt(.success, trigger: .manual), next: .succeeded)
        )
        #expect(succeeded.row == .delete)
        #expect(succeeded.settlesScheduledDelivery && succeeded.clearsFailureTracking)
        #expect(!succeeded.isRoutine)

        let failed = DeliveryOutcome(trigger: .manual, result: DeliveryResult(attempt: Self.attempt(.fail, trigger: .manual), next: .failed))
        #expect(failed.row == .delete)
        #expect(!failed.settlesScheduledDelivery && !failed.clearsFailureTracking && !failed.countsTowardAutoDisable)
    }

    @Test func theClockStartsRunsAndDisablesAfterTheWindow() {
        let day: Int64 = 86_400
        guard case .start(let clock) = AutoDisable.decide(clock: nil, now: Self.now, disableAfterSeconds: 5 * day) else {
            Issue.record("no clock should start one")
            return
        }
        #expect(clock == AutoDisable.Clock(firstFailureAt: Self.now, expiresAt: Self.now.adding(seconds: 10 * day)))
        #expect(AutoDisable.decide(clock: clock, now: Self.now.adding(seconds: 5 * day - 1), disableAfterSeconds: 5 * day) == .wait)
        #expect(
            AutoDisable.decide(clock: clock, now: Self.now.adding(seconds: 5 * day), disableAfterSeconds: 5 * day)
                == .disable(since: Self.now)
        )
    }

    @Test func aLapsedClockStartsAgain() {
        let lapsed = AutoDisable.Clock(firstFailureAt: Self.now.adding(seconds: -100), expiresAt: Self.now)
        #expect(
            AutoDisable.decide(clock: lapsed, now: Self.now, disableAfterSeconds: 10)
                == .start(AutoDisable.Clock(firstFailureAt: Self.now, expiresAt: Self.now.adding(seconds: 20)))
        )
    }

    @Test func aClockFromTheFutureNeverDisablesAndHugeWindowsDoNotTrap() {
        let ahead = AutoDisable.Clock(firstFailureAt: Self.now.adding(seconds: 60), expiresAt: Self.now.adding(seconds: 600))
        #expect(AutoDisable.decide(clock: ahead, now: Self.now, disableAfterSeconds: 0) == .wait)
        let running = AutoDisable.Clock(firstFailureAt: Self.now, expiresAt: Timestamp(milliseconds: .max))
        #expect(AutoDisable.decide(clock: running, now: Self.now.adding(seconds: 1), disableAfterSeconds: .max) == .wait)
        #expect(AutoDisable.decide(clock: nil, now: Self.now, disableAfterSeconds: .max) != .wait)
    }

    @Test func fanOutSeparatesPollersAndSkipsWhatDoesNotMatch() {
        let candidates = [
            EndpointMatching.Candidate(id: "ep_all", url: "https://a", eventTypes: nil, channels: nil),
            EndpointMatching.Candidate(id: "ep_typed", url: "https://b", eventTypes: ["b.c"], channels: nil),
            EndpointMatching.Candidate(id: "ep_poll", url: EndpointURL.poller, eventTypes: ["a.b"], channels: nil),
            EndpointMatching.Candidate(id: "ep_chan", url: "https://c", eventTypes: nil, channels: ["eu"]),
            EndpointMatching.Candidate(id: "ep_none", url: "https://d", eventTypes: [], channels: nil),
        ]
        #expect(
            EndpointMatching.targets(eventType: "a.b", channels: ["eu"], payload: nil, candidates: candidates)
                == EndpointMatching.Targets(deliveries: ["ep_all", "ep_chan"], feeds: ["ep_poll"])
        )
        #expect(
            EndpointMatching.targets(eventType: "b.c", channels: nil, payload: nil, candidates: candidates)
                == EndpointMatching.Targets(deliveries: ["ep_all", "ep_typed"], feeds: [])
        )
    }

    @Test func payloadFiltersApplyAfterTypesAndChannelsAndNeedJSON() throws {
        let large = try PayloadFilter.parse(.object(["amount": .object(["$gte": .integer(100)])]), at: [])
        let candidates = [
            EndpointMatching.Candidate(id: "ep_all", url: "https://a", eventTypes: nil, channels: nil),
            EndpointMatching.Candidate(id: "ep_large", url: "https://b", eventTypes: nil, channels: nil, filter: large),
            EndpointMatching.Candidate(id: "ep_poll", url: EndpointURL.poller, eventTypes: nil, channels: nil, filter: large),
        ]
        func targets(_ payload: String?) -> EndpointMatching.Targets {
            EndpointMatching.targets(eventType: "a", channels: nil, payload: payload.map { Array($0.utf8) }, candidates: candidates)
        }
        #expect(targets(#"{"amount": 150}"#) == EndpointMatching.Targets(deliveries: ["ep_all", "ep_large"], feeds: ["ep_poll"]))
        #expect(targets(#"{"amount": 50}"#) == EndpointMatching.Targets(deliveries: ["ep_all"], feeds: []))
        #expect(targets("not json") == EndpointMatching.Targets(deliveries: ["ep_all"], feeds: []))
        #expect(targets(nil) == EndpointMatching.Targets(deliveries: ["ep_all"], feeds: []))
    }
}
