import HeraldCore
import HeraldTesting
import Testing

/// The storage contract, written once over the protocols and run against every available backend.
@Suite struct StoreContractTests {
    static let org = "org_contract0000000000000000000"
    static let now = Timestamp(milliseconds: 1_800_000_000_000)

    static func application(uid: String? = nil, at time: Timestamp = now) -> Application {
        Application(
            id: IDPrefix.application.makeID(timestampMs: time.milliseconds),
            orgID: org,
            uid: uid,
            name: "App",
            throttleRate: nil,
            metadata: ["k": "v"],
            createdAt: time,
            updatedAt: time
        )
    }

    static func endpoint(appID: String, uid: String? = nil) -> Endpoint {
        Endpoint(
            id: IDPrefix.endpoint.makeID(timestampMs: now.milliseconds),
            appID: appID,
            uid: uid,
            url: "https://example.com",
            description: "",
            disabled: false,
            eventTypes: ["a.b"],
            channels: nil,
            throttleRate: 5,
            metadata: [:],
            headers: ["X-A": "1"],
            secret: .generate(.hmac),
            previousSecrets: [ExpiringSecret(secret: .generate(.ed25519), expiresAt: now.adding(seconds: 60))],
            createdAt: now,
            updatedAt: now
        )
    }

    static func message(
        appID: String,
        eventID: String? = nil,
        eventType: String = "a.b",
        channels: [String]? = nil,
        at time: Timestamp = now
    )
        -> Message
    {
        Message(
            id: IDPrefix.message.makeID(timestampMs: time.milliseconds),
            appID: appID,
            eventType: eventType,
            eventID: eventID,
            channels: channels,
            payload: Array(#"{"a": 1}"#.utf8),
            payloadExpiresAt: time.adding(seconds: 3600),
            createdAt: time
        )
    }

    @Test(arguments: StoreBackend.all)
    func applicationsRoundTripAndReleaseTheirUidOnDelete(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = Self.application(uid: "acme")
            try await store.createApplication(app)
            #expect(try await store.application(orgID: Self.org, idOrUID: app.id) == app)
            #expect(try await store.application(orgID: Self.org, idOrUID: "acme") == app)
            #expect(try await store.application(orgID: "org_other", idOrUID: app.id) == nil)

            await #expect(throws: StorageError.duplicate(.applicationUID)) { try await store.createApplication(Self.application(uid: "acme")) }
            try await store.deleteApplication(orgID: Self.org, id: app.id)
            #expect(try await store.application(orgID: Self.org, idOrUID: app.id) == nil)
            try await store.createApplication(Self.application(uid: "acme"))
        }
    }

    @Test(arguments: StoreBackend.all)
    func listingsPageInBothDirections(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            var ids: [String] = []
            for offset in 0..<5 {
                let app = Self.application(at: Self.now.adding(seconds: Int64(offset)))
                try await store.createApplication(app)
                ids.append(app.id)
            }
            let first = try await store.listApplications(orgID: Self.org, page: PageRequest(limit: 2, order: .ascending))
            #expect(first.items.map(\.id) == Array(ids[0..<2]))
            #expect(!first.done)
            let next = try await store.listApplications(orgID: Self.org, page: PageRequest(limit: 2, iterator: ids[1], order: .ascending))
            #expect(next.items.map(\.id) == Array(ids[2..<4]))
            let back = try await store.listApplications(
                orgID: Self.org,
                page: PageRequest(limit: 2, iterator: ids[4], backwards: true, order: .ascending)
            )
            #expect(back.items.map(\.id) == Array(ids[2..<4]))
            let descending = try await store.listApplications(orgID: Self.org, page: PageRequest(limit: 10, order: .descending))
            #expect(descending.items.map(\.id) == ids.reversed())
            #expect(descending.done)
        }
    }

    @Test(arguments: StoreBackend.all)
    func endpointsKeepEveryField(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = Self.application()
            try await store.createApplication(app)
            var endpoint = Self.endpoint(appID: app.id, uid: "main")
            try await store.createEndpoint(endpoint)
            #expect(try await store.endpoint(appID: app.id, idOrUID: "main") == endpoint)
            await #expect(throws: StorageError.duplicate(.endpointUID)) { try await store.createEndpoint(Self.endpoint(appID: app.id, uid: "main")) }

            endpoint.channels = ["eu"]
            endpoint.eventTypes = nil
            endpoint.disabled = true
            try await store.updateEndpoint(endpoint)
            #expect(try await store.endpoint(appID: app.id, idOrUID: endpoint.id) == endpoint)
            #expect(try await store.listEndpoints(appID: app.id, page: PageRequest(order: .descending)).items == [endpoint])
            try await store.deleteEndpoint(appID: app.id, id: endpoint.id)
            #expect(try await store.endpoint(appID: app.id, idOrUID: endpoint.id) == nil)
        }
    }

    @Test(arguments: StoreBackend.all)
    func eventTypesArchiveAndRevive(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            var type = EventType(
                orgID: Self.org,
                name: "a.b",
                description: "d",
                archived: false,
                deprecated: false,
                featureFlag: nil,
                schemas: #"{"1":{}}"#,
                createdAt: Self.now,
                updatedAt: Self.now
            )
            try await store.createEventType(type)
            await #expect(throws: StorageError.duplicate(.eventTypeName)) { try await store.createEventType(type) }
            #expect(try await store.existingEventTypeNames(orgID: Self.org, among: ["a.b", "c.d"]) == ["a.b"])
            type.archived = true
            try await store.updateEventType(type)
            #expect(try await store.existingEventTypeNames(orgID: Self.org, among: ["a.b"]).isEmpty)
            #expect(try await store.listEventTypes(orgID: Self.org, includeArchived: false, page: PageRequest(order: .ascending)).items.isEmpty)
            type.archived = false
            try await store.createEventType(type)
            #expect(try await store.eventType(orgID: Self.org, name: "a.b") == type)
            try await store.deleteEventType(orgID: Self.org, name: "a.b")
            #expect(try await store.eventType(orgID: Self.org, name: "a.b") == nil)
        }
    }

    /// Messages written at once share commits; a duplicate `eventId` among them fails alone.
    @Test(arguments: StoreBackend.all)
    func aDuplicateAmongConcurrentMessagesFailsAlone(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = Self.application()
            try await store.createApplication(app)
            let messages = (0..<40).map { index in Self.message(appID: app.id, eventID: index % 10 == 0 ? "dup" : "e\(index)") }
            let stored = await withTaskGroup(of: Bool.self) { group in
                for message in messages {
                    group.addTask { (try? await store.createMessage(message)) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(stored == 37)
            for message in messages where message.eventID != "dup" {
                #expect(try await store.message(appID: app.id, idOrEventID: message.id) == message)
            }
            #expect(try await store.message(appID: app.id, idOrEventID: "dup") != nil)
        }
    }

    @Test(arguments: StoreBackend.all)
    func messagesFilterAndKeepPayloadBytes(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = Self.application()
            try await store.createApplication(app)
            let first = Self.message(appID: app.id, eventID: "e1", channels: ["eu"])
            let second = Self.message(appID: app.id, eventType: "c.d", at: Self.now.adding(seconds: 1))
            try await store.createMessage(first)
            try await store.createMessage(second)
            await #expect(throws: StorageError.duplicate(.messageEventID)) {
                try await store.createMessage(Self.message(appID: app.id, eventID: "e1"))
            }
            #expect(try await store.message(appID: app.id, idOrEventID: "e1") == first)

            let window = ListWindow.idRange(prefix: .message, before: nil, after: nil, page: PageRequest(order: .descending), now: Self.now)
            func list(_ types: [String]? = nil, channel: String? = nil) async throws -> [String] {
                try await store.listMessages(
                    appID: app.id,
                    query: MessageQuery(page: PageRequest(order: .descending), eventTypes: types, channel: channel, idRange: window)
                ).items.map(\.id)
            }
            #expect(try await list() == [second.id, first.id])
            #expect(try await list(["a.b"]) == [first.id])
            #expect(try await list(channel: "eu") == [first.id])
            #expect(try await list(channel: "us").isEmpty)

            try await store.expungeMessagePayload(appID: app.id, messageID: first.id)
            #expect(try await store.message(appID: app.id, idOrEventID: first.id)?.payload == nil)
        }
    }

    @Test(arguments: StoreBackend.all)
    func idempotencyKeysLockCompleteAndRelease(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let lock = Self.now.adding(seconds: 5)
            #expect(try await store.claimIdempotencyKey("k", now: Self.now, lockUntil: lock) == .acquired)
            #expect(try await store.claimIdempotencyKey("k", now: Self.now, lockUntil: lock) == .inProgress)
            #expect(try await store.claimIdempotencyKey("k", now: lock.adding(seconds: 1), lockUntil: lock.adding(seconds: 6)) == .acquired)

            let response = StoredResponse(status: 201, headers: [["content-type", "application/json"]], body: Array("{}".utf8))
            try await store.completeIdempotencyKey("k", response: response, resourceID: nil, expiresAt: Self.now.adding(seconds: 100))
            #expect(try await store.claimIdempotencyKey("k", now: Self.now, lockUntil: lock) == .completed(response))
            #expect(try await store.claimIdempotencyKey("k", now: Self.now.adding(seconds: 101), lockUntil: lock.adding(seconds: 101)) == .acquired)

            #expect(try await store.claimIdempotencyKey("r", now: Self.now, lockUntil: lock) == .acquired)
            try await store.releaseIdempotencyKey("r")
            #expect(try await store.claimIdempotencyKey("r", now: Self.now, lockUntil: lock) == .acquired)
        }
    }

    @Test(arguments: StoreBackend.all)
    func aRevocationIsFoundUnderAnyOfItsHashes(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.isTokenRevoked(hashes: ["a", "b"]) == false)
            try await store.revokeToken(hash: "b", expiresAt: Timestamp(milliseconds: .max))
            #expect(try await store.isTokenRevoked(hashes: ["a", "b"]))
            #expect(try await store.isTokenRevoked(hashes: ["b"]))
            #expect(try await store.isTokenRevoked(hashes: ["a"]) == false)
            #expect(try await store.isTokenRevoked(hashes: []) == false)
        }
    }

    /// A kept response is sealed with the main key: a store opened with another key cannot read it.
    @Test(arguments: StoreBackend.all)
    func idempotentResponsesAreSealedAndGoWithTheirMessage(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = Self.application()
            try await store.createApplication(app)
            let message = Self.message(appID: app.id)
            try await store.createMessage(message)
            let lock = Self.now.adding(seconds: 5)
            let response = StoredResponse(status: 202, headers: [], body: Array(#"{"payload":"secret"}"#.utf8))
            #expect(try await store.claimIdempotencyKey("m", now: Self.now, lockUntil: lock) == .acquired)
            try await store.completeIdempotencyKey("m", response: response, resourceID: message.id, expiresAt: Self.now.adding(seconds: 100))
            #expect(try await store.claimIdempotencyKey("m", now: Self.now, lockUntil: lock) == .completed(response))
            try await store.expungeMessagePayload(appID: app.id, messageID: message.id)
            #expect(try await store.claimIdempotencyKey("m", now: Self.now, lockUntil: lock) == .acquired)
        }
    }

    /// Regression (found by the soak, issue #20): the answer was kept in a commit of its own after the message's, so a
    /// `kill -9` between the two left the key unanswered and the client's retry under it stored the message again.
    /// Now storing the message answers the key in the same transaction: nothing else needs to run for a retry to get
    /// the replay — and a message refused for its event id answers nothing.
    @Test(arguments: StoreBackend.all)
    func aMessageAndItsIdempotentAnswerCommitTogether(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = Self.application()
            try await store.createApplication(app)
            let lock = Self.now.adding(seconds: 5)
            let response = StoredResponse(status: 202, headers: [["content-type", "application/json"]], body: Array(#"{"id":"m"}"#.utf8))
            #expect(try await store.claimIdempotencyKey("kept", now: Self.now, lockUntil: lock) == .acquired)
            var message = Self.message(appID: app.id, eventID: "taken")
            message.idempotentAnswer = IdempotentAnswer(key: "kept", response: response, expiresAt: Self.now.adding(seconds: 100))
            try await store.createMessage(message)
            // The request "died" here: no completeIdempotencyKey. A retry, even after the lock ran out, gets the replay.
            #expect(
                try await store.claimIdempotencyKey("kept", now: lock.adding(seconds: 1), lockUntil: lock.adding(seconds: 6)) == .completed(response)
            )
            // Forgotten with its message's content, as an answer kept afterwards is.
            try await store.expungeMessagePayload(appID: app.id, messageID: message.id)
            #expect(try await store.claimIdempotencyKey("kept", now: Self.now, lockUntil: lock) == .acquired)

            // A request slower than its lock: another claim sweeps its key meanwhile; the answer still lands.
            #expect(try await store.claimIdempotencyKey("slow", now: Self.now, lockUntil: lock) == .acquired)
            #expect(try await store.claimIdempotencyKey("other", now: lock.adding(seconds: 1), lockUntil: lock.adding(seconds: 6)) == .acquired)
            var slow = Self.message(appID: app.id)
            slow.idempotentAnswer = IdempotentAnswer(key: "slow", response: response, expiresAt: lock.adding(seconds: 100))
            try await store.createMessage(slow)
            #expect(
                try await store.claimIdempotencyKey("slow", now: lock.adding(seconds: 2), lockUntil: lock.adding(seconds: 7)) == .completed(response)
            )

            // A message to one endpoint (send-example) keeps its answer the same way.
            let endpoint = Self.endpoint(appID: app.id)
            try await store.createEndpoint(endpoint)
            #expect(try await store.claimIdempotencyKey("example", now: Self.now, lockUntil: lock) == .acquired)
            var example = Self.message(appID: app.id)
            example.idempotentAnswer = IdempotentAnswer(key: "example", response: response, expiresAt: Self.now.adding(seconds: 100))
            try await store.createMessage(example, onlyTo: endpoint.id)
            #expect(
                try await store.claimIdempotencyKey("example", now: lock.adding(seconds: 1), lockUntil: lock.adding(seconds: 6))
                    == .completed(response)
            )

            #expect(try await store.claimIdempotencyKey("refused", now: Self.now, lockUntil: lock) == .acquired)
            var duplicate = Self.message(appID: app.id, eventID: "taken")
            duplicate.idempotentAnswer = IdempotentAnswer(key: "refused", response: response, expiresAt: Self.now.adding(seconds: 100))
            await #expect(throws: StorageError.self) { try await store.createMessage(duplicate) }
            #expect(try await store.claimIdempotencyKey("refused", now: Self.now, lockUntil: lock) == .inProgress)
        }
    }
}

/// The delivery queue's contract, on every backend.
@Suite struct QueueContractTests {
    /// Messages fanned out and claimed together each come with their own payload (PostgreSQL sends each once per
    /// claim, on one of its deliveries).
    @Test(arguments: StoreBackend.all)
    func deliveriesClaimedTogetherCarryTheirOwnMessagesPayload(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = StoreContractTests.now
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            for _ in 0..<3 {
                var endpoint = StoreContractTests.endpoint(appID: app.id)
                endpoint.eventTypes = nil
                try await store.createEndpoint(endpoint)
            }
            var payloads: [String: [UInt8]?] = [:]
            for index in 0..<5 {
                var message = StoreContractTests.message(appID: app.id, at: now.adding(milliseconds: Int64(index)))
                // The third message's payload is gone (retention): each of its deliveries comes without one.
                message.payload = index == 2 ? nil : Array(#"{"message": \#(index)}"#.utf8)
                try await store.createMessage(message)
                payloads.updateValue(message.payload, forKey: message.id)
            }
            let claimed = try await store.claimDeliveries(
                limit: 50,
                now: now.adding(seconds: 1),
                leaseUntil: now.adding(seconds: 60),
                owner: "a",
                room: EndpointRoom(cap: 64)
            )
            #expect(claimed.count == 15)
            #expect(claimed.allSatisfy { payloads[$0.messageID] == .some($0.payload) })
            #expect(claimed.filter { $0.payload == nil }.count == 3)
            #expect(claimed.map(\.deliveryID) == claimed.map(\.deliveryID).sorted())
        }
    }

    @Test(arguments: StoreBackend.all)
    func claimsLeaseExpireAndComplete(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = StoreContractTests.now
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            var first = StoreContractTests.endpoint(appID: app.id)
            first.eventTypes = nil
            var second = StoreContractTests.endpoint(appID: app.id)
            second.eventTypes = nil
            try await store.createEndpoint(first)
            try await store.createEndpoint(second)
            let message = StoreContractTests.message(appID: app.id)
            try await store.createMessage(message)

            let claimed = try await store.claimDeliveries(
                limit: 10,
                now: now,
                leaseUntil: now.adding(seconds: 60),
                owner: "a",
                room: EndpointRoom(cap: 64)
            )
            #expect(Set(claimed.map(\.endpointID)) == [first.id, second.id])
            #expect(claimed.allSatisfy { $0.payload == message.payload && $0.attemptNumber == 0 && $0.triggerType == .scheduled })
            #expect(
                try await store.claimDeliveries(limit: 10, now: now, leaseUntil: now.adding(seconds: 60), owner: "b", room: EndpointRoom(cap: 64))
                    .isEmpty
            )

            // A lease that runs out makes the delivery due again; a stale holder can no longer complete it.
            let later = now.adding(seconds: 61)
            let reclaimed = try await store.claimDeliveries(
                limit: 10,
                now: later,
                leaseUntil: later.adding(seconds: 60),
                owner: "b",
                room: EndpointRoom(cap: 64, claimed: [first.id: 64])
            )
            #expect(reclaimed.map(\.endpointID) == [second.id])
            let task = try #require(reclaimed.first)
            let stale = DeliveryResult(attempt: nil, next: .succeeded)
            _ = try await store.completeDelivery(task, result: stale, owner: "a", now: later, disableAfterSeconds: 3600)
            let retryAt = later.adding(seconds: 30)
            _ = try await store.completeDelivery(
                task,
                result: DeliveryResult(attempt: nil, next: .retry(at: retryAt)),
                owner: "b",
                now: later,
                disableAfterSeconds: 3600
            )
            let page = PageRequest(order: .ascending)
            let state = try await store.listAttemptedDestinations(appID: app.id, messageID: message.id, page: page).items
                .first { $0.0.id == second.id }?.1
            #expect(state == DestinationState(status: .sending, nextAttempt: retryAt))
            // A delivery in flight is not due; once its lease has run out it is due at once, at its own due time.
            #expect(try await store.nextDueTime(now: now) == retryAt)
            #expect(try await store.nextDueTime(now: now.adding(seconds: 60)) == now)
        }
    }

    /// A claim takes no more of an endpoint's deliveries than it has room for, oldest first, and leaves the rest due.
    @Test(arguments: StoreBackend.all)
    func claimsStopAtEachEndpointsRoom(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let now = StoreContractTests.now
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            var busy = StoreContractTests.endpoint(appID: app.id)
            busy.eventTypes = nil
            try await store.createEndpoint(busy)
            var messages: [Message] = []
            for _ in 0..<5 {
                let message = StoreContractTests.message(appID: app.id)
                try await store.createMessage(message)
                messages.append(message)
            }
            var quiet = StoreContractTests.endpoint(appID: app.id)
            quiet.eventTypes = nil
            try await store.createEndpoint(quiet)
            let later = StoreContractTests.message(appID: app.id)
            try await store.createMessage(later)

            let lease = now.adding(seconds: 60)
            let room = EndpointRoom(cap: 3, claimed: [busy.id: 1])
            let claimed = try await store.claimDeliveries(limit: 10, now: now, leaseUntil: lease, owner: "w", room: room)
            #expect(claimed.filter { $0.endpointID == busy.id }.map(\.messageID) == [messages[0].id, messages[1].id])
            #expect(claimed.filter { $0.endpointID == quiet.id }.map(\.messageID) == [later.id])
            // The rest of the busy endpoint's backlog (the later message went to it too) was not leased: it is still due.
            let rest = try await store.claimDeliveries(limit: 10, now: now, leaseUntil: lease, owner: "w", room: EndpointRoom(cap: 64))
            #expect(rest.map(\.messageID) == messages[2...].map(\.id) + [later.id])
            #expect(rest.allSatisfy { $0.endpointID == busy.id })
        }
    }
}

/// Failure tracking and manual attempts, on every backend.
@Suite struct DeliveryOutcomeContractTests {
    static func attempt(for task: DeliveryTask, status: MessageStatus, at time: Timestamp) -> Attempt {
        Attempt(
            id: IDPrefix.attempt.makeID(timestampMs: time.milliseconds),
            messageID: task.messageID,
            endpointID: task.endpointID,
            appID: task.appID,
            url: task.url,
            response: "",
            responseStatusCode: status == .success ? 200 : 500,
            responseDurationMs: 3,
            status: status,
            triggerType: task.triggerType,
            createdAt: time
        )
    }

    /// Creates an app with one endpoint taking every event type, and returns the endpoint.
    static func endpoint(in store: any HeraldStore) async throws -> Endpoint {
        let app = StoreContractTests.application()
        try await store.createApplication(app)
        var endpoint = StoreContractTests.endpoint(appID: app.id)
        endpoint.eventTypes = nil
        try await store.createEndpoint(endpoint)
        return endpoint
    }

    /// Sends one message and ends its delivery as `failed` after an attempt, at `time`.
    static func exhaust(_ store: any HeraldStore, endpoint: Endpoint, at time: Timestamp) async throws -> DeliveryEffects {
        try await store.createMessage(StoreContractTests.message(appID: endpoint.appID, at: time))
        let task = try #require(
            try await store.claimDeliveries(limit: 1, now: time, leaseUntil: time.adding(seconds: 60), owner: "w", room: EndpointRoom(cap: 64)).first
        )
        return try await store.completeDelivery(
            task,
            result: DeliveryResult(attempt: attempt(for: task, status: .fail, at: time), next: .failed),
            owner: "w",
            now: time,
            disableAfterSeconds: 100
        )
    }

    @Test(arguments: StoreBackend.all)
    func exhaustedDeliveriesDisableTheEndpointOnlyAfterTheWindow(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let endpoint = try await Self.endpoint(in: store)
            let start = StoreContractTests.now
            #expect(try await Self.exhaust(store, endpoint: endpoint, at: start).endpointDisabled == nil)
            #expect(try await Self.exhaust(store, endpoint: endpoint, at: start.adding(seconds: 50)).endpointDisabled == nil)
            let disabled = try await Self.exhaust(store, endpoint: endpoint, at: start.adding(seconds: 100))
            #expect(disabled.endpointDisabled == start)
            #expect(try await store.endpoint(appID: endpoint.appID, idOrUID: endpoint.id)?.disabled == true)
        }
    }

    @Test(arguments: StoreBackend.all)
    func aSuccessfulManualAttemptSettlesTheDeliveryAndClearsFailures(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let endpoint = try await Self.endpoint(in: store)
            let start = StoreContractTests.now
            _ = try await Self.exhaust(store, endpoint: endpoint, at: start)
            let page = PageRequest(order: .ascending)
            let window = ListWindow.idRange(prefix: .message, before: nil, after: nil, page: page, now: start)
            let message = try #require(
                try await store.listMessages(appID: endpoint.appID, query: MessageQuery(page: page, idRange: window)).items.first
            )
            #expect(try await store.endpointStats(endpointID: endpoint.id, since: start, until: start.adding(seconds: 1)).fail == 1)

            let resendAt = start.adding(seconds: 10)
            try await store.enqueueManualAttempt(appID: endpoint.appID, messageID: message.id, endpointID: endpoint.id, now: resendAt)
            let manual = try #require(
                try await store.claimDeliveries(
                    limit: 5,
                    now: resendAt,
                    leaseUntil: resendAt.adding(seconds: 60),
                    owner: "w",
                    room: EndpointRoom(cap: 64)
                ).first
            )
            #expect(manual.triggerType == .manual)
            _ = try await store.completeDelivery(
                manual,
                result: DeliveryResult(attempt: Self.attempt(for: manual, status: .success, at: resendAt), next: .succeeded),
                owner: "w",
                now: resendAt,
                disableAfterSeconds: 100
            )
            let state = try await store.listAttemptedDestinations(appID: endpoint.appID, messageID: message.id, page: page).items.first?.1
            #expect(state == DestinationState(status: .success, nextAttempt: nil))
            #expect(try await store.nextDueTime(now: resendAt) == nil)
            // The success cleared the failure clock: an exhaustion long after the first one starts it again.
            #expect(try await Self.exhaust(store, endpoint: endpoint, at: start.adding(seconds: 150)).endpointDisabled == nil)

            let attempts = try await store.listAttempts(
                appID: endpoint.appID,
                query: AttemptQuery(
                    page: PageRequest(order: .ascending),
                    idRange: ListWindow.idRange(prefix: .attempt, before: nil, after: nil, page: page, now: start),
                    messageID: message.id
                )
            )
            #expect(attempts.items.map(\.status) == [.fail, .success])
            #expect(
                try await store.recoverFailedDeliveries(endpointID: endpoint.id, since: start, until: start.adding(seconds: 200), now: start) == 1
            )
        }
    }
}
