import HeraldCore
import HeraldTesting
import Testing

/// Polling endpoints' feeds, on every backend.
@Suite struct FeedContractTests {
    static func poller(appID: String, eventTypes: [String]? = nil, channels: [String]? = nil) -> Endpoint {
        var endpoint = StoreContractTests.endpoint(appID: appID)
        endpoint.url = EndpointURL.poller
        endpoint.eventTypes = eventTypes
        endpoint.channels = channels
        return endpoint
    }

    /// Waits until the feed shows `count` entries. On PostgreSQL an entry becomes readable once every transaction
    /// older than its own has ended — in the whole cluster, so a test creating a database next door can hold it back
    /// for a moment (later, never lost).
    static func waitUntilVisible(_ store: any HeraldStore, endpointID: String, count: Int) async throws {
        let giveUp = ContinuousClock.now + .seconds(20)
        while try await readAll(store, endpointID: endpointID).ids.count < count, ContinuousClock.now < giveUp {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Reads the whole feed from `position`, page by page.
    static func readAll(
        _ store: any HeraldStore,
        endpointID: String,
        from position: FeedPosition = .start,
        limit: Int = 7
    )
        async throws -> (ids: [String], reached: FeedPosition)
    {
        var ids: [String] = []
        var position = position
        while true {
            let page = try await store.readFeed(endpointID: endpointID, query: FeedQuery(after: position, limit: limit))
            ids += page.entries.map(\.message.id)
            #expect(page.reached >= position)
            position = page.reached
            if page.done { return (ids, position) }
        }
    }

    @Test(arguments: StoreBackend.all)
    func aPollingEndpointKeepsWhatItsFiltersMatchInsteadOfDeliveries(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            let poller = Self.poller(appID: app.id, eventTypes: ["a.b"])
            try await store.createEndpoint(poller)
            var pushed = StoreContractTests.endpoint(appID: app.id)
            pushed.eventTypes = nil
            try await store.createEndpoint(pushed)

            var sent: [Message] = []
            for index in 0..<20 {
                let message = StoreContractTests.message(
                    appID: app.id,
                    eventType: index % 2 == 0 ? "a.b" : "c.d",
                    channels: index % 4 == 0 ? ["eu"] : nil,
                    at: StoreContractTests.now.adding(milliseconds: Int64(index))
                )
                try await store.createMessage(message)
                sent.append(message)
            }
            let matching = sent.filter { $0.eventType == "a.b" }.map(\.id)
            try await Self.waitUntilVisible(store, endpointID: poller.id, count: matching.count)
            let (ids, end) = try await Self.readAll(store, endpointID: poller.id)
            #expect(ids == matching)

            // Only the webhook endpoint has deliveries to send.
            let now = StoreContractTests.now.adding(seconds: 1)
            let claimed = try await store.claimDeliveries(
                limit: 100,
                now: now,
                leaseUntil: now.adding(seconds: 60),
                owner: "w",
                room: EndpointRoom(cap: 64)
            )
            #expect(claimed.count == 20 && claimed.allSatisfy { $0.endpointID == pushed.id })

            // Filters pass over entries and still move the position on.
            let filtered = try await store.readFeed(endpointID: poller.id, query: FeedQuery(after: .start, limit: 50, channel: "eu"))
            #expect(filtered.entries.map(\.message.id) == sent.enumerated().filter { $0.offset % 4 == 0 }.map(\.element.id))
            #expect(filtered.reached == end && filtered.done)
            let later = try await store.readFeed(
                endpointID: poller.id,
                query: FeedQuery(after: .start, limit: 50, createdAfter: StoreContractTests.now.adding(milliseconds: 9))
            )
            #expect(later.entries.map(\.message.id) == Array(matching.suffix(5)))

            // An example sent to the polling endpoint alone lands in its feed.
            let example = StoreContractTests.message(appID: app.id, eventType: "x.y", at: now)
            try await store.createMessage(example, onlyTo: poller.id)
            try await Self.waitUntilVisible(store, endpointID: poller.id, count: matching.count + 1)
            #expect(try await Self.readAll(store, endpointID: poller.id, from: end).ids == [example.id])
        }
    }

    @Test(arguments: StoreBackend.all)
    func consumersKeepTheirPositionAndSeekByTime(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            let poller = Self.poller(appID: app.id)
            try await store.createEndpoint(poller)
            var sent: [String] = []
            for index in 0..<6 {
                let message = StoreContractTests.message(appID: app.id, at: StoreContractTests.now.adding(seconds: Int64(index)))
                try await store.createMessage(message)
                sent.append(message.id)
            }
            try await Self.waitUntilVisible(store, endpointID: poller.id, count: sent.count)
            #expect(try await store.consumerPosition(endpointID: poller.id, consumerID: "c") == nil)
            let first = try await store.readFeed(endpointID: poller.id, query: FeedQuery(after: .start, limit: 2))
            try await store.saveConsumerPosition(endpointID: poller.id, consumerID: "c", position: first.reached, now: StoreContractTests.now)
            let saved = try #require(try await store.consumerPosition(endpointID: poller.id, consumerID: "c"))
            #expect(try await Self.readAll(store, endpointID: poller.id, from: saved).ids == Array(sent.dropFirst(2)))

            // Seeking to a time: the next read starts with the first message created after it.
            let seek = try await store.feedPosition(endpointID: poller.id, before: StoreContractTests.now.adding(milliseconds: 3500))
            #expect(try await Self.readAll(store, endpointID: poller.id, from: seek).ids == Array(sent.suffix(2)))
            let past = try await store.feedPosition(endpointID: poller.id, before: StoreContractTests.now.adding(seconds: 60))
            #expect(try await Self.readAll(store, endpointID: poller.id, from: past).ids.isEmpty)
            #expect(FeedPosition(iterator: past.iterator) == past)
        }
    }

    /// Writers commit concurrently while a reader follows the feed: every message is read exactly once, in an order
    /// that never goes back — none is skipped because it committed after a later-numbered one was read.
    @Test(arguments: StoreBackend.all)
    func aReaderFollowingConcurrentWritersMissesNothing(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            let poller = Self.poller(appID: app.id)
            try await store.createEndpoint(poller)
            let writers = 8
            let perWriter = 40
            let (written, read) = try await withThrowingTaskGroup(of: [String].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var ids: [String] = []
                        for index in 0..<perWriter {
                            let message = StoreContractTests.message(
                                appID: app.id,
                                at: StoreContractTests.now.adding(milliseconds: Int64(writer * 1000 + index))
                            )
                            try await store.createMessage(message)
                            ids.append(message.id)
                        }
                        return ids
                    }
                }
                var position = FeedPosition.start
                var read: [String] = []
                // Follow the feed while the writers run, then to the end; a skipped message would leave the count short
                // for ever, so give up (and fail below) after a generous bound.
                let giveUp = ContinuousClock.now + .seconds(30)
                while read.count < writers * perWriter, ContinuousClock.now < giveUp {
                    let page = try await store.readFeed(endpointID: poller.id, query: FeedQuery(after: position, limit: 5))
                    #expect(page.reached >= position)
                    position = page.reached
                    read += page.entries.map(\.message.id)
                    if page.entries.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
                }
                var written: [String] = []
                for try await ids in group { written += ids }
                return (written, read)
            }
            let missing = Set(written).subtracting(read)
            #expect(missing.isEmpty)
            #expect(read.count == written.count)
        }
    }
}
