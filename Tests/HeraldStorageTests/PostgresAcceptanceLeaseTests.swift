import HeraldCore
import HeraldTesting
import Synchronization
import Testing

@testable import HeraldPostgres

/// Deliveries leased to this process's dispatcher as their messages are stored (`AcceptedDeliveryTaker`).
@Suite(.enabled(if: StoreBackend.postgresURL != nil, "needs HERALD_TEST_POSTGRES_URL"))
struct PostgresAcceptanceLeaseTests {
    /// A dispatcher stand-in with `slots` free, recording what it is handed.
    final class RecordingTaker: AcceptedDeliveryTaker {
        let owner = "dispatcher-acceptance-test"
        private struct State {
            var free: Int
            var reserved = 0
            var taken: [DeliveryTask] = []
            var givenBack = 0
            var asked = 0
        }
        private let state: Mutex<State>

        init(slots: Int) { state = Mutex(State(free: slots)) }

        var taken: [DeliveryTask] { state.withLock { $0.taken } }
        /// Reservations not yet handed over or given back.
        var outstanding: Int { state.withLock { $0.reserved - $0.taken.count - $0.givenBack } }
        var reserved: Int { state.withLock { $0.reserved } }
        /// Reservations asked for, granted or not.
        var asked: Int { state.withLock { $0.asked } }

        func leaseTerms() -> (now: Timestamp, until: Timestamp) {
            (StoreContractTests.now, StoreContractTests.now.adding(seconds: 60))
        }

        func reserve(endpointID: String, appID: String) -> Bool {
            state.withLock { state in
                state.asked += 1
                guard state.free > 0 else { return false }
                state.free -= 1
                state.reserved += 1
                return true
            }
        }

        func takeOver(_ tasks: [DeliveryTask], leasedUntil: Timestamp, unused: [(endpointID: String, appID: String)]) {
            state.withLock { state in
                state.taken += tasks
                state.givenBack += unused.count
                state.free += unused.count
            }
        }
    }

    static func withStore(_ body: (PostgresStore, Application) async throws -> Void) async throws {
        try await PostgresStoreTests.withInstances(1) { stores in
            let app = StoreContractTests.application()
            try await stores[0].createApplication(app)
            try await body(stores[0], app)
        }
    }

    static func endpoint(_ store: PostgresStore, appID: String, at offset: Int64 = 0) async throws -> Endpoint {
        var endpoint = StoreContractTests.endpoint(appID: appID)
        endpoint.id = IDPrefix.endpoint.makeID(timestampMs: StoreContractTests.now.milliseconds + offset)
        endpoint.throttleRate = nil
        try await store.createEndpoint(endpoint)
        return endpoint
    }

    static func claim(_ store: PostgresStore, at now: Timestamp) async throws -> [DeliveryTask] {
        try await store.claimDeliveries(limit: 100, now: now, leaseUntil: now.adding(seconds: 60), owner: "other", room: EndpointRoom(cap: 64))
    }

    @Test func aStoredMessageIsHandedOverLeasedAndClaimedAgainOnlyWhenTheLeaseRunsOut() async throws {
        try await Self.withStore { store, app in
            let endpoint = try await Self.endpoint(store, appID: app.id)
            let taker = RecordingTaker(slots: 10)
            store.leaseOnAcceptance(to: taker)
            let message = StoreContractTests.message(appID: app.id)
            try await store.createMessage(message)

            let task = try #require(taker.taken.first)
            #expect(taker.taken.count == 1 && taker.outstanding == 0)
            // What a claim would have read.
            store.stopLeasingOnAcceptance(to: taker)
            #expect(try await Self.claim(store, at: StoreContractTests.now.adding(seconds: 1)).isEmpty)
            let claimed = try #require(try await Self.claim(store, at: StoreContractTests.now.adding(seconds: 61)).first)
            #expect(claimed == task)
            #expect(task.messageID == message.id && task.payload == message.payload && task.attemptNumber == 0)
            #expect(task.url == endpoint.url && task.secret == endpoint.secret && task.headers == endpoint.headers)
            #expect(task.orgID == app.orgID && task.endpointUID == endpoint.uid && !task.endpointInactive)
        }
    }

    @Test func onlyWhatAClaimCouldTakeNowIsLeased() async throws {
        try await Self.withStore { store, app in
            var throttled = StoreContractTests.endpoint(appID: app.id)
            throttled.id = IDPrefix.endpoint.makeID(timestampMs: StoreContractTests.now.milliseconds + 1)
            try await store.createEndpoint(throttled)
            let slowedDown = try await Self.endpoint(store, appID: app.id, at: 2)
            _ = try await store.slowDown(endpointID: slowedDown.id, retryAfterSeconds: 30, now: StoreContractTests.now)
            let broken = try await Self.endpoint(store, appID: app.id, at: 3)
            _ = try await store.openBreaker(endpointID: broken.id, until: StoreContractTests.now)
            var ordered = StoreContractTests.endpoint(appID: app.id)
            ordered.id = IDPrefix.endpoint.makeID(timestampMs: StoreContractTests.now.milliseconds + 4)
            ordered.throttleRate = nil
            ordered.policy.ordering = .fifo
            try await store.createEndpoint(ordered)
            let open = try await Self.endpoint(store, appID: app.id, at: 5)

            let taker = RecordingTaker(slots: 10)
            store.leaseOnAcceptance(to: taker)
            try await store.createMessage(StoreContractTests.message(appID: app.id))
            #expect(taker.taken.map(\.endpointID) == [open.id])
            #expect(taker.outstanding == 0)
            // The others wait for claims, as they did before.
            store.stopLeasingOnAcceptance(to: taker)
            let claimed = try await Self.claim(store, at: StoreContractTests.now.adding(seconds: 1)).map(\.endpointID)
            #expect(claimed.contains(throttled.id) && claimed.contains(ordered.id) && !claimed.contains(open.id))
        }
    }

    @Test func withoutSlotsOrBeyondABatchsShareDeliveriesWaitForClaims() async throws {
        try await Self.withStore { store, app in
            var endpoints: [String] = []
            for index in 0..<(AcceptanceLeases.maxPerBatch + 4) {
                endpoints.append(try await Self.endpoint(store, appID: app.id, at: Int64(index)).id)
            }
            let full = RecordingTaker(slots: 0)
            store.leaseOnAcceptance(to: full)
            try await store.createMessage(StoreContractTests.message(appID: app.id))
            #expect(full.taken.isEmpty && full.reserved == 0)
            // Refused a batch's share of times, it is asked no more for the rest of the fan-out.
            #expect(full.asked == AcceptanceLeases.maxPerBatch)

            let roomy = RecordingTaker(slots: 1_000)
            store.leaseOnAcceptance(to: roomy)
            try await store.createMessage(StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: 1)))
            #expect(roomy.taken.count == AcceptanceLeases.maxPerBatch && roomy.outstanding == 0)
            store.stopLeasingOnAcceptance(to: roomy)
            let claimed = try await Self.claim(store, at: StoreContractTests.now.adding(seconds: 1))
            #expect(claimed.count == endpoints.count + 4)
            #expect(Set(claimed.map(\.deliveryID)).isDisjoint(with: roomy.taken.map(\.deliveryID)))
        }
    }

    /// A message refused for its event id leases nothing, and its reservations come back.
    @Test func aRefusedMessageGivesItsReservationsBack() async throws {
        try await Self.withStore { store, app in
            _ = try await Self.endpoint(store, appID: app.id)
            let taker = RecordingTaker(slots: 10)
            store.leaseOnAcceptance(to: taker)
            try await store.createMessage(StoreContractTests.message(appID: app.id, eventID: "e-1"))
            await #expect(throws: StorageError.self) {
                try await store.createMessage(
                    StoreContractTests.message(appID: app.id, eventID: "e-1", at: StoreContractTests.now.adding(milliseconds: 1))
                )
            }
            #expect(taker.taken.count == 1 && taker.reserved == 2 && taker.outstanding == 0)
        }
    }
}
