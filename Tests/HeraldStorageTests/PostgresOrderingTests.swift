import HeraldCore
import HeraldTesting
import Synchronization
import Testing

/// An ordered endpoint (`DeliveryOrdering.fifo`) served by two instances at once: messages stored through either, both
/// claiming and recording results, some attempts failing — and still one delivery in flight at a time, delivered in
/// message order, each once.
@Suite(.enabled(if: StoreBackend.postgresURL != nil, "needs HERALD_TEST_POSTGRES_URL"))
struct PostgresOrderingTests {
    @Test func twoInstancesKeepAnOrderedEndpointInOrder() async throws {
        try await PostgresStoreTests.withInstances(2) { instances in
            let app = StoreContractTests.application()
            try await instances[0].createApplication(app)
            var endpoint = StoreContractTests.endpoint(appID: app.id)
            endpoint.eventTypes = nil
            endpoint.policy.ordering = .fifo
            try await instances[0].createEndpoint(endpoint)
            let messages = (0..<60).map { StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(milliseconds: Int64($0))) }
            // Message order is the order messages were accepted in, each stored after the one before (messages accepted
            // at the same moment through two instances have none: README). The first 40 wait for the dispatchers.
            for (index, message) in messages.prefix(40).enumerated() { try await instances[index % 2].createMessage(message) }

            let now = StoreContractTests.now.adding(seconds: 10)
            let tally = Tally()
            let expected = messages.count
            let position = Dictionary(uniqueKeysWithValues: messages.enumerated().map { ($1.id, $0) })
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, instance) in instances.enumerated() {
                    group.addTask {
                        let owner = "instance-\(index)"
                        var idlePasses = 0
                        while tally.delivered.withLock({ $0.count }) < expected {
                            let claimed = try await instance.claimDeliveries(
                                limit: 10,
                                now: now,
                                leaseUntil: now.adding(seconds: 600),
                                owner: owner,
                                room: EndpointRoom(cap: 64)
                            )
                            guard !claimed.isEmpty else {
                                // What the dispatcher's sweep does: gives an endpoint left without a head its next one.
                                _ = try await instance.releaseParked(keep: 64, now: now)
                                idlePasses += 1
                                try #require(idlePasses < 5_000, "no delivery came due")
                                try await Task.sleep(for: .milliseconds(2))
                                continue
                            }
                            idlePasses = 0
                            let holding = tally.inFlight.withLock { count in
                                count += claimed.count
                                return count
                            }
                            tally.mostInFlight.withLock { $0 = max($0, holding) }
                            for task in claimed {
                                // Every fourth message fails its first attempt and is retried at once.
                                let fails =
                                    (position[task.messageID] ?? 1) % 4 == 0 && tally.failedOnce.withLock { $0.insert(task.messageID).inserted }
                                let next: DeliveryResult.Next = fails ? .retry(at: now) : .succeeded
                                // Counted out before the result is stored: the next one cannot come due earlier.
                                tally.inFlight.withLock { $0 -= 1 }
                                if !fails { tally.delivered.withLock { $0.append(task.messageID) } }
                                let status: MessageStatus = fails ? .fail : .success
                                let result = DeliveryResult(
                                    attempt: DeliveryOutcomeContractTests.attempt(for: task, status: status, at: now),
                                    next: next
                                )
                                _ = try await instance.completeDelivery(task, result: result, owner: owner, now: now, disableAfterSeconds: 86_400)
                            }
                        }
                    }
                }
                // The last 20 arrive while both instances deliver, one after another through either instance.
                group.addTask {
                    for (index, message) in messages.dropFirst(40).enumerated() {
                        try await instances[index % 2].createMessage(message)
                    }
                }
                try await group.waitForAll()
            }
            #expect(tally.mostInFlight.withLock { $0 } == 1)
            #expect(tally.delivered.withLock { $0 } == messages.map(\.id))
            #expect(tally.failedOnce.withLock { $0.count } == 15)
            #expect(try await instances[1].queueDepth(now: now).due == 0)
        }
    }
}

/// What the instances' workers share.
private final class Tally: Sendable {
    let inFlight = Mutex(0)
    let mostInFlight = Mutex(0)
    let delivered = Mutex<[String]>([])
    let failedOnce = Mutex<Set<String>>([])
}
