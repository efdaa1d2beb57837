import HeraldCore
import HeraldTesting
import Testing

/// Ordered endpoints (`DeliveryOrdering.fifo`) on every backend: one delivery due at a time, in message order; the
/// next comes due only when the one before was delivered or given up — across retries, lapsed leases (a restart)
/// and whatever parking does.
@Suite struct OrderingContractTests {
    static let now = StoreContractTests.now.adding(seconds: 1)

    static func ordered(_ store: any HeraldStore, messages count: Int, ordering: DeliveryOrdering? = .fifo) async throws -> (Endpoint, [Message]) {
        let app = StoreContractTests.application()
        try await store.createApplication(app)
        var endpoint = StoreContractTests.endpoint(appID: app.id)
        endpoint.policy.ordering = ordering
        try await store.createEndpoint(endpoint)
        var messages: [Message] = []
        for index in 0..<count {
            let message = StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64(index)))
            try await store.createMessage(message)
            messages.append(message)
        }
        return (endpoint, messages)
    }

    static func finish(_ store: any HeraldStore, _ task: DeliveryTask, _ next: DeliveryResult.Next, at time: Timestamp) async throws {
        let status: MessageStatus = next == .succeeded ? .success : .fail
        let result = DeliveryResult(attempt: DeliveryOutcomeContractTests.attempt(for: task, status: status, at: time), next: next)
        _ = try await store.completeDelivery(task, result: result, owner: "w", now: time, disableAfterSeconds: 86_400)
    }

    @Test(arguments: StoreBackend.all)
    func oneDeliveryIsDueAtATimeInMessageOrderThroughRetriesAndLapsedLeases(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (endpoint, messages) = try await Self.ordered(store, messages: 4)
            var now = Self.now
            var claimed = try await ParkingContractTests.claim(store, at: now)
            #expect(claimed.map(\.messageID) == [messages[0].id])

            // A failure and a retry: nothing else is due meanwhile, however long the wait.
            let head = try #require(claimed.first)
            try await Self.finish(store, head, .retry(at: now.adding(seconds: 10)), at: now)
            #expect(try await ParkingContractTests.claim(store, at: now.adding(seconds: 9)).isEmpty)
            now = now.adding(seconds: 10)
            claimed = try await ParkingContractTests.claim(store, at: now)
            #expect(claimed.map(\.messageID) == [messages[0].id] && claimed.first?.attemptNumber == 1)

            // Its sender dies: the lease lapses and the same head is due again, still alone.
            now = now.adding(seconds: 601)
            claimed = try await ParkingContractTests.claim(store, at: now)
            #expect(claimed.map(\.messageID) == [messages[0].id])
            // Parking's own moves leave an ordered endpoint alone.
            try await store.parkBacklog(endpointID: endpoint.id, keep: 0, now: now)
            _ = try await store.releaseParked(keep: 64, now: now)
            _ = try await store.releaseParked(endpointID: endpoint.id, count: 64)

            // Delivered: the next is due; given up: the one after.
            try await Self.finish(store, try #require(claimed.first), .succeeded, at: now)
            claimed = try await ParkingContractTests.claim(store, at: now)
            #expect(claimed.map(\.messageID) == [messages[1].id])
            try await Self.finish(store, try #require(claimed.first), .failed, at: now)
            // A message accepted now queues behind the others.
            let late = StoreContractTests.message(appID: endpoint.appID, at: now)
            try await store.createMessage(late)
            var order: [String] = []
            for _ in 0..<4 {
                claimed = try await ParkingContractTests.claim(store, at: now)
                #expect(claimed.count <= 1)
                guard let next = claimed.first else { break }
                order.append(next.messageID)
                try await Self.finish(store, next, .succeeded, at: now)
            }
            #expect(order == [messages[2].id, messages[3].id, late.id])
            #expect(try await store.queueDepth(now: now).due == 0)
        }
    }

    @Test(arguments: StoreBackend.all)
    func becomingOrderedQueuesTheBacklogAndCeasingLetsItBack(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            var (endpoint, messages) = try await Self.ordered(store, messages: 5, ordering: nil)
            endpoint.policy.ordering = .fifo
            try await store.updateEndpoint(endpoint)
            #expect(try await ParkingContractTests.claim(store, at: Self.now).map(\.messageID) == [messages[0].id])
            // Stored again unchanged (another field edited): nothing moves.
            endpoint.description = "edited"
            try await store.updateEndpoint(endpoint)
            #expect(try await ParkingContractTests.claim(store, at: Self.now).isEmpty)

            endpoint.policy.ordering = nil
            try await store.updateEndpoint(endpoint)
            _ = try await store.releaseParked(keep: 64, now: Self.now)
            let rest = try await ParkingContractTests.claim(store, at: Self.now)
            #expect(rest.map(\.messageID) == messages.dropFirst().map(\.id))
        }
    }

    @Test(arguments: StoreBackend.all)
    func recoveredDeliveriesComeBackOneAtATime(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (endpoint, messages) = try await Self.ordered(store, messages: 3)
            for _ in messages {
                let head = try #require(try await ParkingContractTests.claim(store, at: Self.now).first)
                try await Self.finish(store, head, .failed, at: Self.now)
            }
            let recovered = try await store.recoverFailedDeliveries(
                endpointID: endpoint.id,
                since: StoreContractTests.now.adding(seconds: -60),
                until: Self.now.adding(seconds: 60),
                now: Self.now
            )
            #expect(recovered == 3)
            var order: [String] = []
            while let next = try await ParkingContractTests.claim(store, at: Self.now).first {
                order.append(next.messageID)
                try await Self.finish(store, next, .succeeded, at: Self.now)
                #expect(order.count <= 3)
                if order.count > 3 { break }
            }
            #expect(order == messages.map(\.id))
        }
    }
}
