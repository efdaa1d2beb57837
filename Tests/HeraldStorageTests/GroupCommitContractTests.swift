import HeraldCore
import HeraldTesting
import Testing

/// Messages accepted at the same moment share one commit (group commit on both backends); each must still be stored
/// exactly as sent and fan out to its own application's matching endpoints only.
@Suite struct GroupCommitContractTests {
    private struct Pair: Hashable {
        var messageID: String
        var endpointID: String
    }

    @Test(arguments: StoreBackend.all)
    func messagesStoredTogetherEachFanOutToTheirOwnApplication(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let first = StoreContractTests.application()
            let second = StoreContractTests.application()
            try await store.createApplication(first)
            try await store.createApplication(second)
            var everything = StoreContractTests.endpoint(appID: first.id)
            everything.eventTypes = nil
            let onlyAB = StoreContractTests.endpoint(appID: first.id)
            var onlyCD = StoreContractTests.endpoint(appID: second.id)
            onlyCD.eventTypes = ["c.d"]
            var onlyEU = StoreContractTests.endpoint(appID: second.id)
            onlyEU.eventTypes = nil
            onlyEU.channels = ["eu"]
            for endpoint in [everything, onlyAB, onlyCD, onlyEU] { try await store.createEndpoint(endpoint) }

            // The same event id in two applications is two messages; within one it is one (the rest refused alone).
            let messages = (0..<48).map { index in
                var message = StoreContractTests.message(
                    appID: index.isMultiple(of: 2) ? first.id : second.id,
                    eventID: [0, 3, 12, 15].contains(index) ? "same" : (index.isMultiple(of: 3) ? nil : "e\(index)"),
                    eventType: index % 4 < 2 ? "a.b" : "c.d",
                    channels: index.isMultiple(of: 5) ? ["eu", "us"] : nil
                )
                if index.isMultiple(of: 7) { message.traceParent = "00-\(String(repeating: "a", count: 32))-\(String(repeating: "b", count: 16))-01" }
                return message
            }
            let outcomes = await withTaskGroup(of: (Message, (any Error)?).self) { group in
                for message in messages {
                    group.addTask {
                        do {
                            try await store.createMessage(message)
                            return (message, nil)
                        } catch {
                            return (message, error)
                        }
                    }
                }
                return await group.reduce(into: [(Message, (any Error)?)]()) { $0.append($1) }
            }
            let stored = outcomes.filter { $0.1 == nil }.map(\.0)
            let refusals = outcomes.compactMap { $0.1 as? StorageError }
            #expect(refusals == [.duplicate(.messageEventID), .duplicate(.messageEventID)])
            // 0 and 12 share "same" in the first application, 3 and 15 in the second: one of each pair is refused.
            #expect(stored.count == messages.count - 2)
            for message in stored { #expect(try await store.message(appID: message.appID, idOrEventID: message.id) == message) }

            var expected: Set<Pair> = []
            for message in stored {
                let matching =
                    message.appID == first.id
                    ? [everything.id] + (message.eventType == "a.b" ? [onlyAB.id] : [])
                    : (message.eventType == "c.d" ? [onlyCD.id] : []) + (message.channels?.contains("eu") == true ? [onlyEU.id] : [])
                for endpointID in matching { expected.insert(Pair(messageID: message.id, endpointID: endpointID)) }
            }
            let now = StoreContractTests.now
            let claimed = try await store.claimDeliveries(
                limit: 500,
                now: now,
                leaseUntil: now.adding(seconds: 600),
                owner: "w",
                room: EndpointRoom(cap: 500)
            )
            #expect(claimed.count == expected.count)
            #expect(Set(claimed.map { Pair(messageID: $0.messageID, endpointID: $0.endpointID) }) == expected)
        }
    }
}
