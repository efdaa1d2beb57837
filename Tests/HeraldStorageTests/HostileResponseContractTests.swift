import HeraldCore
import HeraldTesting
import Testing

/// A receiver's response is data, never a weapon: whatever bytes it sends are recorded, once, on every backend, and a
/// result the database refuses never takes the results that shared its batch with it.
@Suite struct HostileResponseContractTests {
    static let perEndpoint = 40

    /// An app with a hostile and an innocent endpoint and `perEndpoint` messages, every delivery claimed.
    static func claimedDeliveries(in store: any HeraldStore) async throws -> (app: Application, hostile: String, [DeliveryTask]) {
        let app = StoreContractTests.application()
        try await store.createApplication(app)
        var hostile = StoreContractTests.endpoint(appID: app.id)
        hostile.eventTypes = nil
        var innocent = StoreContractTests.endpoint(appID: app.id)
        innocent.eventTypes = nil
        try await store.createEndpoint(hostile)
        try await store.createEndpoint(innocent)
        for _ in 0..<perEndpoint { try await store.createMessage(StoreContractTests.message(appID: app.id)) }
        let now = StoreContractTests.now
        let tasks = try await store.claimDeliveries(
            limit: 2 * perEndpoint,
            now: now,
            leaseUntil: now.adding(seconds: 60),
            owner: "w",
            room: EndpointRoom(cap: 64)
        )
        #expect(tasks.count == 2 * perEndpoint)
        return (app, hostile.id, tasks)
    }

    static func attempt(for task: DeliveryTask, response: String) -> Attempt {
        var attempt = DeliveryOutcomeContractTests.attempt(for: task, status: .fail, at: StoreContractTests.now)
        attempt.response = response
        return attempt
    }

    /// Every result recorded concurrently (so routine results share batches); returns which ones the store refused.
    static func complete(
        _ tasks: [DeliveryTask],
        in store: any HeraldStore,
        response: @Sendable @escaping (DeliveryTask) -> String
    ) async
        -> [String]
    {
        await withTaskGroup(of: String?.self) { group in
            for task in tasks {
                group.addTask {
                    let result = DeliveryResult(
                        attempt: attempt(for: task, response: response(task)),
                        next: .retry(at: StoreContractTests.now.adding(seconds: 300))
                    )
                    do {
                        _ = try await store.completeDelivery(task, result: result, owner: "w", now: StoreContractTests.now, disableAfterSeconds: 3600)
                        return nil
                    } catch {
                        return task.endpointID
                    }
                }
            }
            return await group.reduce(into: []) { refused, endpointID in if let endpointID { refused.append(endpointID) } }
        }
    }

    static func attempts(_ store: any HeraldStore, app: Application, endpointID: String) async throws -> [Attempt] {
        let query = AttemptQuery(
            page: PageRequest(limit: 250, order: .ascending),
            idRange: IDRange(lower: "atmpt_", upper: "atmpt_~"),
            endpointID: endpointID
        )
        return try await store.listAttempts(appID: app.id, query: query).items
    }

    @Test(arguments: StoreBackend.all)
    func anyResponseBytesAreRecordedOnceBesideAHealthyEndpoint(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (app, hostile, tasks) = try await Self.claimedDeliveries(in: store)
            let poison: [UInt8] = [0x7B, 0x00, 0xFF, 0xFE, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0x7D]
            let refused = await Self.complete(tasks, in: store) { task in
                task.endpointID == hostile ? ResponseText.recorded(poison) : "ok"
            }
            #expect(refused.isEmpty)
            let hostileAttempts = try await Self.attempts(store, app: app, endpointID: hostile)
            #expect(hostileAttempts.count == Self.perEndpoint)
            #expect(Set(hostileAttempts.map(\.messageID)).count == Self.perEndpoint)
            #expect(hostileAttempts.allSatisfy { ($0.response ?? "").hasPrefix(ResponseText.replacedNote) && !($0.response ?? "").contains("\0") })
            let innocent = tasks.first { $0.endpointID != hostile }!.endpointID
            #expect(try await Self.attempts(store, app: app, endpointID: innocent).count == Self.perEndpoint)
        }
    }

    /// Even a result the database cannot hold (text with NUL, which PostgreSQL refuses) fails alone.
    @Test(arguments: StoreBackend.all)
    func aRefusedResultDoesNotTakeItsBatchWithIt(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (app, hostile, tasks) = try await Self.claimedDeliveries(in: store)
            let refused = await Self.complete(tasks, in: store) { task in task.endpointID == hostile ? "a\0b" : "ok" }
            #expect(refused.allSatisfy { $0 == hostile })
            // PostgreSQL's text refuses NUL, so there every hostile result failed while sharing batches with good ones;
            // SQLite keeps the text as it is.
            #expect(refused.count == (backend.description == "PostgreSQL" ? Self.perEndpoint : 0))
            let innocent = tasks.first { $0.endpointID != hostile }!.endpointID
            #expect(try await Self.attempts(store, app: app, endpointID: innocent).count == Self.perEndpoint)
            #expect(try await Self.attempts(store, app: app, endpointID: hostile).count == Self.perEndpoint - refused.count)
        }
    }

    @Test func textIsKeptAsItIsAndAnythingElseIsMarked() {
        #expect(ResponseText.recorded(Array("{\"ok\":true} ü".utf8)) == "{\"ok\":true} ü")
        #expect(ResponseText.recorded([0x61, 0x00, 0x62]) == ResponseText.replacedNote + "a\u{FFFD}b")
        #expect(ResponseText.recorded([0x61, 0xFF]) == ResponseText.replacedNote + "a\u{FFFD}")
    }
}

/// A tenant's share of the dispatcher: a claim takes no more of one application's deliveries, over all its endpoints,
/// than the application has room for, and passes over an application that has none.
@Suite struct ApplicationRoomContractTests {
    @Test(arguments: StoreBackend.all)
    func claimsStopAtEachApplicationsRoom(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = StoreContractTests.now
            let noisy = StoreContractTests.application()
            let quiet = StoreContractTests.application()
            try await store.createApplication(noisy)
            try await store.createApplication(quiet)
            for app in [noisy, noisy, noisy, quiet] {
                var endpoint = StoreContractTests.endpoint(appID: app.id)
                endpoint.eventTypes = nil
                try await store.createEndpoint(endpoint)
            }
            for _ in 0..<4 { try await store.createMessage(StoreContractTests.message(appID: noisy.id)) }
            for _ in 0..<2 { try await store.createMessage(StoreContractTests.message(appID: quiet.id)) }

            let lease = now.adding(seconds: 60)
            let room = EndpointRoom(cap: 64, appCap: 5, claimedByApp: [noisy.id: 1])
            let first = try await store.claimDeliveries(limit: 50, now: now, leaseUntil: lease, owner: "w", room: room)
            #expect(first.filter { $0.appID == noisy.id }.count == 4)
            #expect(first.filter { $0.appID == quiet.id }.count == 2)

            let full = EndpointRoom(cap: 64, appCap: 5, claimedByApp: [noisy.id: 5])
            #expect(try await store.claimDeliveries(limit: 50, now: now, leaseUntil: lease, owner: "w", room: full).isEmpty)
            let rest = try await store.claimDeliveries(limit: 50, now: now, leaseUntil: lease, owner: "w", room: EndpointRoom(cap: 64))
            #expect(rest.count == 8)
            #expect(rest.allSatisfy { $0.appID == noisy.id })
        }
    }
}
