import HeraldCore
import HeraldSQL
import HeraldTesting
import Testing

/// Parked deliveries, on every backend: an endpoint's backlog beyond a few is out of the claims' way, and comes back
/// in order, each delivery once, as the endpoint's waiting ones run low.
@Suite struct ParkingContractTests {
    static func claim(_ store: any HeraldStore, at now: Timestamp, room: EndpointRoom = EndpointRoom(cap: 64)) async throws -> [DeliveryTask] {
        try await store.claimDeliveries(limit: 100, now: now, leaseUntil: now.adding(seconds: 600), owner: "w", room: room)
    }

    @Test(arguments: StoreBackend.all)
    func aParkedBacklogComesBackInOrderEachDeliveryOnce(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            let dead = StoreContractTests.endpoint(appID: app.id)
            try await store.createEndpoint(dead)
            var sent: [String] = []
            for index in 0..<150 {
                let message = StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64(index)))
                try await store.createMessage(message)
                sent.append(message.id)
            }
            let now = StoreContractTests.now.adding(seconds: 1)
            try await store.parkBacklog(endpointID: dead.id, keep: 16, now: now)
            #expect(try await store.queueDepth(now: now).due == 150)

            // Only the 16 oldest are where claims look.
            var claimed = try await Self.claim(store, at: now)
            #expect(claimed.map(\.messageID) == Array(sent.prefix(16)))
            #expect(try await store.queueDepth(now: now) == QueueDepth(due: 134, inFlight: 16, retrying: 0))

            // Another endpoint's new work is claimed at once, past the parked ones; the parked endpoint's new delivery is
            // born parked, behind the others.
            let other = StoreContractTests.endpoint(appID: app.id)
            try await store.createEndpoint(other)
            let late = StoreContractTests.message(appID: app.id, at: now)
            try await store.createMessage(late)
            #expect(try await Self.claim(store, at: now).map(\.endpointID) == [other.id])

            // Released as the waiting ones run out, oldest first, until none is left parked.
            var releases = 0
            while try await store.releaseParked(keep: 16, now: now) > 0 {
                releases += 1
                claimed += try await Self.claim(store, at: now).filter { $0.endpointID == dead.id }
                #expect(releases < 20)
            }
            let order = claimed.map(\.messageID)
            #expect(order.count == 151 && order == sent + [late.id], "\(order.count) claimed")
            #expect(Set(claimed.map(\.deliveryID)).count == claimed.count)
            #expect(try await store.releaseParked(keep: 16, now: now) == 0)
            #expect(try await store.queueDepth(now: now).due == 0)
        }
    }

    @Test(arguments: StoreBackend.all)
    func parkingLeavesLeasedAndKeptDeliveriesAloneAndNothingDueIsHidden(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            let endpoint = StoreContractTests.endpoint(appID: app.id)
            try await store.createEndpoint(endpoint)
            for index in 0..<10 {
                try await store.createMessage(
                    StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64(index)))
                )
            }
            let now = StoreContractTests.now.adding(seconds: 1)
            let leased = try await Self.claim(store, at: now, room: EndpointRoom(cap: 3))
            #expect(leased.count == 3)
            try await store.parkBacklog(endpointID: endpoint.id, keep: 4, now: now)
            // The next due time is among what claims read: the four kept, not the parked.
            #expect(try await store.nextDueTime(now: now) != nil)
            let kept = try await Self.claim(store, at: now)
            #expect(kept.count == 4)
            // A lease that runs out makes its delivery due again, parked or not beside it.
            let later = now.adding(seconds: 601)
            #expect(try await Self.claim(store, at: later).count == 7)
            #expect(try await Self.claim(store, at: later).isEmpty)
            // With nothing left waiting where claims look, the parked three come back.
            #expect(try await store.releaseParked(keep: 4, now: later) == 3)
            #expect(try await Self.claim(store, at: later).count == 3)
            #expect(try await store.releaseParked(keep: 4, now: later) == 0)
            // Nothing parked is left, so the endpoint's next delivery is born where claims look.
            try await store.createMessage(StoreContractTests.message(appID: app.id, at: later))
            #expect(try await Self.claim(store, at: later).count == 1)
            #expect(try await store.releaseParked(endpointID: endpoint.id, count: 4) == 0)
        }
    }

    static func forgetParkedListing<Store: SQLStore>(_ store: Store, endpointID: String) async throws {
        var forget = SQLStatement(store.dialect, "DELETE FROM parked_endpoints WHERE ")
        forget.append("endpoint_id = \(forget.bind(endpointID))")
        try await store.write([forget], conflict: nil) { _ in () }
    }

    @Test(arguments: StoreBackend.all)
    func aStrandedParkedBacklogIsListedAgainAndComesBack(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let sql = try #require(store as? any SQLStore)
            let (endpoint, _) = try await OrderingContractTests.ordered(store, messages: 0, ordering: nil)
            let (ordered, _) = try await OrderingContractTests.ordered(store, messages: 3)
            for index in 0..<10 {
                try await store.createMessage(
                    StoreContractTests.message(appID: endpoint.appID, at: StoreContractTests.now.adding(milliseconds: Int64(index)))
                )
            }
            let now = StoreContractTests.now.adding(seconds: 1)
            try await store.parkBacklog(endpointID: endpoint.id, keep: 2, now: now)
            // What a race on PostgreSQL can leave: parked deliveries of an endpoint nobody lists, so no sweep lets them back.
            try await Self.forgetParkedListing(sql, endpointID: endpoint.id)
            #expect(try await Self.claim(store, at: now).map(\.endpointID).sorted() == [endpoint.id, endpoint.id, ordered.id].sorted())
            #expect(try await store.releaseParked(keep: 16, now: now) == 0)

            // Looked for a page of endpoints at a time, in id order, until past the last; the ordered one (its parked
            // deliveries wait behind its head) is left alone.
            let ids = [endpoint.id, ordered.id].sorted()
            #expect(try await store.relistStrandedParked(after: "", limit: 1, now: now) == ids[0])
            #expect(try await store.relistStrandedParked(after: ids[0], limit: 1, now: now) == ids[1])
            #expect(try await store.relistStrandedParked(after: ids[1], limit: 1, now: now) == nil)
            #expect(try await store.releaseParked(keep: 16, now: now) == 8)
            #expect(try await Self.claim(store, at: now).count == 8)
            #expect(try await store.releaseParked(keep: 16, now: now) == 0)
        }
    }

    @Test(arguments: StoreBackend.all)
    func manualDeliveriesAreNeverParked(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (endpoint, messages) = try await OrderingContractTests.ordered(store, messages: 3, ordering: nil)
            let now = StoreContractTests.now.adding(seconds: 1)
            #expect(try await store.enqueueManualAttempt(appID: endpoint.appID, messageID: messages[0].id, endpointID: endpoint.id, now: now))
            try await store.parkBacklog(endpointID: endpoint.id, keep: 0, now: now)
            // Outside an ordered endpoint's order, so never parked behind it (were the endpoint to become ordered
            // while it was parked, on PostgreSQL, it could stay there): the scheduled three are parked, the manual
            // one is claimed.
            let claimed = try await Self.claim(store, at: now)
            #expect(claimed.map(\.triggerType) == [.manual])
            #expect(try await store.releaseParked(keep: 16, now: now) == 3)
            #expect(try await Self.claim(store, at: now).map(\.messageID) == messages.map(\.id))
        }
    }
}
