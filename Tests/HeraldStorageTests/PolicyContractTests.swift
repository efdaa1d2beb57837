import HeraldCore
import HeraldTesting
import Testing

/// Endpoint delivery policies, on every backend: stored with the endpoint, claimed with its deliveries, and their
/// payload filters applied at fan-out.
@Suite struct PolicyContractTests {
    static let largeOrders: JSONValue = .object([
        "data.amount": .object(["$gte": .integer(100)]),
        "data.currency": .object(["$in": .array([.string("eur"), .string("usd")])]),
    ])

    static func message(appID: String, payload: String, offset: Int64) -> Message {
        var message = StoreContractTests.message(appID: appID, at: StoreContractTests.now.adding(milliseconds: offset))
        message.payload = Array(payload.utf8)
        return message
    }

    @Test(arguments: StoreBackend.all)
    func aPolicyIsStoredWithItsEndpointAndClaimedWithItsDeliveries(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            var endpoint = StoreContractTests.endpoint(appID: app.id)
            endpoint.policy = EndpointPolicy(retrySchedule: [1, 2.5], timeoutSeconds: 4, filter: Self.largeOrders)
            try await store.createEndpoint(endpoint)
            #expect(try await store.endpoint(appID: app.id, idOrUID: endpoint.id) == endpoint)

            endpoint.policy.filter = nil
            endpoint.policy.retrySchedule = []
            try await store.updateEndpoint(endpoint)
            #expect(try await store.endpoint(appID: app.id, idOrUID: endpoint.id)?.policy == endpoint.policy)

            try await store.createMessage(Self.message(appID: app.id, payload: #"{"data": {}}"#, offset: 0))
            let now = StoreContractTests.now.adding(seconds: 1)
            let claimed = try await ParkingContractTests.claim(store, at: now)
            #expect(claimed.map(\.policy) == [EndpointPolicy(retrySchedule: [], timeoutSeconds: 4)])

            // Back to the server's settings: stored as nothing, read as the empty policy.
            endpoint.policy = EndpointPolicy()
            try await store.updateEndpoint(endpoint)
            #expect(try await store.endpoint(appID: app.id, idOrUID: endpoint.id)?.policy.isDefault == true)
        }
    }

    @Test(arguments: StoreBackend.all)
    func aMessageThatMatchesNoFilterCreatesNoDeliveryOrFeedEntry(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            var filtered = StoreContractTests.endpoint(appID: app.id)
            filtered.eventTypes = nil
            filtered.policy.filter = Self.largeOrders
            try await store.createEndpoint(filtered)
            var everything = StoreContractTests.endpoint(appID: app.id)
            everything.eventTypes = nil
            try await store.createEndpoint(everything)
            var poller = FeedContractTests.poller(appID: app.id)
            poller.policy.filter = Self.largeOrders
            try await store.createEndpoint(poller)

            let payloads = [
                #"{"data": {"amount": 150, "currency": "eur"}}"#,
                #"{"data": {"amount": 50, "currency": "eur"}}"#,
                #"{"data": {"amount": 150, "currency": "gbp"}}"#,
                #"{"data": {"amount": 100.0, "currency": "usd"}}"#,
                #"{"other": true}"#,
            ]
            var sent: [Message] = []
            for (index, payload) in payloads.enumerated() {
                let message = Self.message(appID: app.id, payload: payload, offset: Int64(index))
                try await store.createMessage(message)
                sent.append(message)
            }
            let matching = [sent[0].id, sent[3].id]

            let now = StoreContractTests.now.adding(seconds: 1)
            let claimed = try await ParkingContractTests.claim(store, at: now)
            #expect(claimed.filter { $0.endpointID == filtered.id }.map(\.messageID).sorted() == matching.sorted())
            #expect(claimed.filter { $0.endpointID == everything.id }.count == payloads.count)
            #expect(claimed.count == payloads.count + matching.count)

            try await FeedContractTests.waitUntilVisible(store, endpointID: poller.id, count: matching.count)
            #expect(try await FeedContractTests.readAll(store, endpointID: poller.id).ids == matching)
        }
    }
}
