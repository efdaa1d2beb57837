import HeraldCore
import HeraldTesting
import Testing

/// Delivery gates on every backend: throttle reservations are state in the database (what one caller reserved no
/// other gets again, however many reserve at once), and claims pass over a closed endpoint or application until it
/// opens, with its deliveries kept and their attempts untouched.
@Suite struct GateContractTests {
    static let now = StoreContractTests.now.adding(seconds: 1)

    /// An application with one endpoint and `count` messages for it.
    static func backlog(_ store: any HeraldStore, count: Int) async throws -> (Application, Endpoint) {
        let app = StoreContractTests.application()
        try await store.createApplication(app)
        let endpoint = StoreContractTests.endpoint(appID: app.id)
        try await store.createEndpoint(endpoint)
        for index in 0..<count {
            try await store.createMessage(
                StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64(index)))
            )
        }
        return (app, endpoint)
    }

    @Test(arguments: StoreBackend.all)
    func reservationsMadeAtOnceNeverGrantTheSameSendTwice(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let request = ThrottlePlanner.Request(
                endpointID: "ep_throttled",
                endpointRate: ThrottleRate(perSecond: 10),
                appID: "app_throttled",
                appRate: nil,
                count: 50
            )
            // Eight callers at the same moment (on PostgreSQL, on eight connections): 10/s with a burst of 1 has 11
            // sends within the next second, shared out, none twice.
            let granted = try await withThrowingTaskGroup(of: [Timestamp].self) { group in
                for _ in 0..<8 { group.addTask { try await store.reserveSends([request], now: Self.now).first ?? [] } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(granted.count == 11)
            #expect(Set(granted).count == 11)
            // A second later the next second's sends, carrying on from the last.
            let next = try await store.reserveSends([request], now: Self.now.adding(seconds: 1))
            #expect(next.first?.count == 10)
            #expect(next.first?.first == Self.now.adding(milliseconds: 1_100))
            // Without a rate nothing is stored or waited for.
            let free = ThrottlePlanner.Request(endpointID: "ep_free", endpointRate: nil, appID: "app_free", appRate: nil, count: 3)
            #expect(try await store.reserveSends([free], now: Self.now) == [[Self.now, Self.now, Self.now]])
        }
    }

    @Test(arguments: StoreBackend.all)
    func claimsPassOverAClosedEndpointUntilItOpensAndKeepItsDeliveries(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (app, slowed) = try await Self.backlog(store, count: 3)
            let other = StoreContractTests.endpoint(appID: app.id)
            try await store.createEndpoint(other)
            try await store.createMessage(StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: 10)))

            let opens = try await store.slowDown(endpointID: slowed.id, retryAfterSeconds: 30, now: Self.now)
            #expect(opens == Self.now.adding(seconds: 30))
            // A second answer while it is closed changes nothing.
            #expect(try await store.slowDown(endpointID: slowed.id, retryAfterSeconds: 600, now: Self.now) == opens)
            let claimed = try await ParkingContractTests.claim(store, at: Self.now)
            // The last message went to both: only the open endpoint's delivery is claimed.
            #expect(claimed.map(\.endpointID) == [other.id])
            // Nothing else is due before it opens.
            #expect(try await store.nextDueTime(now: Self.now) == opens)
            #expect(try await ParkingContractTests.claim(store, at: opens.adding(milliseconds: -1)).isEmpty)
            let reopened = try await ParkingContractTests.claim(store, at: opens)
            #expect(reopened.count == 4 && reopened.allSatisfy { $0.endpointID == slowed.id })
        }
    }

    /// A dead endpoint's backlog grows while its breaker is open: what is queued meanwhile is stored parked (out of
    /// the claims' way) and comes back, in order, once it opens.
    @Test(arguments: StoreBackend.all)
    func whatIsQueuedForAClosedEndpointIsStoredParkedUntilItOpens(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.backlog(store, count: 2)
            let opens = Self.now.adding(seconds: 30)
            #expect(try await store.openBreaker(endpointID: endpoint.id, until: opens))
            var queued: [String] = []
            for index in 0..<5 {
                let message = StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64(10 + index)))
                try await store.createMessage(message)
                queued.append(message.id)
            }
            // Parked: the sweep finds none of them waiting where claims look, and lets four back; the endpoint stays
            // listed while it is closed, however little is left parked.
            #expect(try await store.releaseParked(keep: 4, now: Self.now) == 4)
            #expect(try await store.releaseParked(keep: 4, now: Self.now) == 0)
            #expect(try await ParkingContractTests.claim(store, at: Self.now).isEmpty)
            let reopened = try await ParkingContractTests.claim(store, at: opens)
            #expect(reopened.count == 6)
            #expect(try await store.releaseParked(keep: 4, now: opens) == 1)
            #expect(try await ParkingContractTests.claim(store, at: opens).map(\.messageID) == [queued[4]])
            // Open and with nothing parked, it is struck off: the next delivery is born where claims look.
            #expect(try await store.releaseParked(keep: 4, now: opens) == 0)
            try await store.createMessage(StoreContractTests.message(appID: app.id, at: opens))
            #expect(try await ParkingContractTests.claim(store, at: opens).count == 1)
        }
    }

    /// A dispatcher that parked an endpoint lets its deliveries back when a claim finds it run dry — but not while its
    /// breaker is open (claims pass its rows over then, whoever opened it).
    @Test(arguments: StoreBackend.all)
    func anOpenBreakerKeepsAParkedBacklogParked(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (_, endpoint) = try await Self.backlog(store, count: 10)
            try await store.parkBacklog(endpointID: endpoint.id, keep: 2, now: Self.now)
            #expect(try await store.openBreaker(endpointID: endpoint.id, until: Self.now.adding(seconds: 30)))
            #expect(try await store.releaseParked(endpointID: endpoint.id, count: 4) == 0)
            #expect(try await store.closeBreaker(endpointID: endpoint.id, now: Self.now))
            #expect(try await store.releaseParked(endpointID: endpoint.id, count: 4) == 4)
        }
    }

    @Test(arguments: StoreBackend.all)
    func aClosedApplicationWaitsWithAllItsEndpoints(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint) = try await Self.backlog(store, count: 4)
            let request = ThrottlePlanner.Request(
                endpointID: endpoint.id,
                endpointRate: nil,
                appID: app.id,
                appRate: ThrottleRate(perSecond: 1),
                count: 4
            )
            // 1/s: one send now, one a second from now; then the application is closed for two seconds.
            #expect(try await store.reserveSends([request], now: Self.now).first?.count == 2)
            #expect(try await ParkingContractTests.claim(store, at: Self.now).isEmpty)
            #expect(try await store.nextDueTime(now: Self.now) == Self.now.adding(seconds: 2))
            #expect(try await ParkingContractTests.claim(store, at: Self.now.adding(seconds: 2)).count == 4)
        }
    }

    @Test(arguments: StoreBackend.all)
    func handedBackDeliveriesAreDueAgainWithTheirAttemptsUntouched(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            _ = try await Self.backlog(store, count: 3)
            let claimed = try await ParkingContractTests.claim(store, at: Self.now)
            #expect(claimed.count == 3)
            // Another owner's hand-back changes nothing; the owner's makes them due at the time given.
            try await store.deferDeliveries(claimed.map(\.deliveryID), owner: "someone else", at: Self.now)
            #expect(try await ParkingContractTests.claim(store, at: Self.now).isEmpty)
            let later = Self.now.adding(seconds: 5)
            try await store.deferDeliveries(claimed.map(\.deliveryID), owner: "w", at: later)
            #expect(try await store.nextDueTime(now: Self.now) == later)
            #expect(try await ParkingContractTests.claim(store, at: Self.now).isEmpty)
            let again = try await ParkingContractTests.claim(store, at: later)
            #expect(again.map(\.deliveryID) == claimed.map(\.deliveryID))
            #expect(again.allSatisfy { $0.attemptNumber == 0 })
        }
    }

    @Test(arguments: StoreBackend.all)
    func anOpenBreakerHoldsItsEndpointUntilOneProbeClosesIt(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (_, endpoint) = try await Self.backlog(store, count: 3)
            let cooled = Self.now.adding(seconds: 30)
            #expect(try await store.openBreaker(endpointID: endpoint.id, until: cooled))
            #expect(try await store.openBreaker(endpointID: endpoint.id, until: cooled) == false)
            #expect(try await store.deliveryGate(key: endpoint.id)?.breaker == .open)
            #expect(try await ParkingContractTests.claim(store, at: Self.now).isEmpty)
            #expect(try await store.startProbe(endpointID: endpoint.id, now: Self.now, leaseUntil: cooled) == false)

            // After the cool-down claims see the endpoint again, its breaker open on every delivery; of eight callers
            // at once, one takes the probe.
            let claimed = try await ParkingContractTests.claim(store, at: cooled)
            #expect(claimed.count == 3 && claimed.allSatisfy { $0.breaker == .open })
            let lease = cooled.adding(seconds: 60)
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await store.startProbe(endpointID: endpoint.id, now: cooled, leaseUntil: lease) } }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(winners == 1)
            #expect(try await store.deliveryGate(key: endpoint.id) == DeliveryGate(openAt: lease, breaker: .probing))
            // The probe succeeded: closed, and open now.
            try await store.deferDeliveries(claimed.map(\.deliveryID), owner: "w", at: cooled)
            #expect(try await ParkingContractTests.claim(store, at: cooled).isEmpty)
            #expect(try await store.closeBreaker(endpointID: endpoint.id, now: cooled))
            #expect(try await store.closeBreaker(endpointID: endpoint.id, now: cooled) == false)
            let after = try await ParkingContractTests.claim(store, at: cooled)
            #expect(after.count == 3 && after.allSatisfy { $0.breaker == .closed })
        }
    }
}
