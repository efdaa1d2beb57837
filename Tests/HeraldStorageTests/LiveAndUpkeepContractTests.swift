import HeraldCore
import HeraldTesting
import Testing

/// The rest of the storage contract — live views, per-endpoint listings, lease release, application updates,
/// expunging, health — on every backend.
@Suite struct LiveAndUpkeepContractTests {
    typealias Contract = StoreContractTests
    static let now = StoreContractTests.now

    /// An application with one endpoint taking every event type, and one message delivered to it (claimed and
    /// completed with `status` at `now + 1 s`).
    static func delivered(
        _ store: any HeraldStore,
        status: MessageStatus,
        response: String = "ok",
        orgID: String = StoreContractTests.org
    ) async throws -> (Application, Endpoint, Message, Attempt) {
        var app = Contract.application()
        app.orgID = orgID
        try await store.createApplication(app)
        var endpoint = Contract.endpoint(appID: app.id)
        endpoint.eventTypes = nil
        try await store.createEndpoint(endpoint)
        let message = Contract.message(appID: app.id)
        try await store.createMessage(message)
        let at = now.adding(seconds: 1)
        let task = try #require(
            try await store.claimDeliveries(limit: 1, now: at, leaseUntil: at.adding(seconds: 60), owner: "w", room: EndpointRoom(cap: 8)).first
        )
        var attempt = DeliveryOutcomeContractTests.attempt(for: task, status: status, at: at)
        attempt.response = response
        let next: DeliveryResult.Next = status == .success ? .succeeded : .retry(at: at.adding(seconds: 30))
        _ = try await store.completeDelivery(
            task,
            result: DeliveryResult(attempt: attempt, next: next),
            owner: "w",
            now: at,
            disableAfterSeconds: 3600
        )
        return (app, endpoint, message, attempt)
    }

    @Test(arguments: StoreBackend.all)
    func applicationsUpdateAndEndpointsAreCountedAndTheStoreAnswers(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.checkHealth()
            #expect(store.servesSeveralInstances == (backend.description == "PostgreSQL"))
            var app = Contract.application(uid: "before")
            try await store.createApplication(app)
            app.name = "Renamed"
            app.uid = "after"
            app.throttleRate = 7
            app.metadata = ["tier": "gold"]
            app.updatedAt = Self.now.adding(seconds: 5)
            try await store.updateApplication(app)
            #expect(try await store.application(orgID: Contract.org, idOrUID: "after") == app)
            #expect(try await store.application(orgID: Contract.org, idOrUID: "before") == nil)

            let kept = Contract.endpoint(appID: app.id)
            let deleted = Contract.endpoint(appID: app.id)
            try await store.createEndpoint(kept)
            try await store.createEndpoint(deleted)
            #expect(try await store.countEndpoints(appID: app.id) == 2)
            try await store.deleteEndpoint(appID: app.id, id: deleted.id)
            #expect(try await store.countEndpoints(appID: app.id) == 1)
        }
    }

    @Test(arguments: StoreBackend.all)
    func anEndpointsMessagesAreListedWithTheirStateAndFilteredByIt(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint, delivered, _) = try await Self.delivered(store, status: .success)
            let waiting = Contract.message(appID: app.id, at: Self.now.adding(seconds: 2))
            try await store.createMessage(waiting)
            let query = MessageQuery(
                page: PageRequest(order: .descending),
                idRange: ListWindow.idRange(prefix: .message, before: nil, after: nil, page: PageRequest(order: .descending), now: Self.now)
            )
            let all = try await store.listAttemptedMessages(appID: app.id, endpointID: endpoint.id, query: query, status: nil).items
            #expect(all.map(\.0.id) == [waiting.id, delivered.id])
            #expect(all.map(\.1.status) == [.pending, .success])
            let succeeded = try await store.listAttemptedMessages(appID: app.id, endpointID: endpoint.id, query: query, status: .success)
            #expect(succeeded.items.map(\.0.id) == [delivered.id])
            let elsewhere = try await store.listAttemptedMessages(appID: "app_other", endpointID: endpoint.id, query: query, status: nil)
            #expect(elsewhere.items.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.all)
    func anExpungedResponseIsGoneAndTheAttemptStays(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (app, _, message, attempt) = try await Self.delivered(store, status: .success, response: #"{"card":"4242"}"#)
            #expect(try await store.attempt(appID: app.id, messageID: message.id, attemptID: attempt.id)?.response == #"{"card":"4242"}"#)
            try await store.expungeAttemptResponse(appID: "app_other", attemptID: attempt.id)
            #expect(try await store.attempt(appID: app.id, messageID: message.id, attemptID: attempt.id)?.response == #"{"card":"4242"}"#)
            try await store.expungeAttemptResponse(appID: app.id, attemptID: attempt.id)
            let expunged = try #require(try await store.attempt(appID: app.id, messageID: message.id, attemptID: attempt.id))
            #expect(expunged.response == nil)
            #expect(expunged.responseStatusCode == 200)
        }
    }

    @Test(arguments: StoreBackend.all)
    func payloadsPastTheirRetentionAreDeletedOldestFirstAndTheMessagesStay(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = Contract.application()
            try await store.createApplication(app)
            var older = Contract.message(appID: app.id, at: Self.now.adding(milliseconds: -3))
            older.payloadExpiresAt = Self.now.adding(seconds: -10)
            var old = Contract.message(appID: app.id, at: Self.now.adding(milliseconds: -2))
            old.payloadExpiresAt = Self.now.adding(seconds: -1)
            var kept = Contract.message(appID: app.id, at: Self.now.adding(milliseconds: -1))
            kept.payloadExpiresAt = Self.now.adding(seconds: 3600)
            for message in [older, old, kept] { try await store.createMessage(message) }

            #expect(try await store.expireDuePayloads(now: Self.now, limit: 1) == 1)
            #expect(try await store.message(appID: app.id, idOrEventID: older.id)?.payload == nil)
            #expect(try await store.message(appID: app.id, idOrEventID: old.id)?.payload == old.payload)
            #expect(try await store.expireDuePayloads(now: Self.now, limit: 10) == 1)
            #expect(try await store.expireDuePayloads(now: Self.now, limit: 10) == 0)
            let expired = try #require(try await store.message(appID: app.id, idOrEventID: old.id))
            #expect(expired.payload == nil && expired.eventType == old.eventType && expired.createdAt == old.createdAt)
            #expect(try await store.message(appID: app.id, idOrEventID: kept.id)?.payload == kept.payload)
        }
    }

    @Test(arguments: StoreBackend.all)
    func retentionDeletesOldMessagesWithTheirTrailButNeverOneStillBeingDelivered(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = Contract.application()
            try await store.createApplication(app)
            var endpoint = Contract.endpoint(appID: app.id)
            endpoint.eventTypes = nil
            try await store.createEndpoint(endpoint)
            let poller = FeedContractTests.poller(appID: app.id)
            try await store.createEndpoint(poller)
            let day: Int64 = 86_400
            let oldest = Contract.message(appID: app.id, at: Self.now.adding(seconds: -3 * day))
            let old = Contract.message(appID: app.id, at: Self.now.adding(seconds: -2 * day))
            let stillSending = Contract.message(appID: app.id, at: Self.now.adding(seconds: -day - day / 2))
            let recent = Contract.message(appID: app.id, at: Self.now.adding(seconds: -3600))
            for message in [oldest, old, stillSending, recent] { try await store.createMessage(message) }
            try await FeedContractTests.waitUntilVisible(store, endpointID: poller.id, count: 4)

            func complete(_ task: DeliveryTask) async throws { try await Self.succeed(task, in: store, at: Self.now) }
            let claimed = try await store.claimDeliveries(
                limit: 8,
                now: Self.now,
                leaseUntil: Self.now.adding(seconds: 600),
                owner: "w",
                room: EndpointRoom(cap: 8)
            )
            #expect(claimed.count == 4)
            // One delivery stays leased: its message is being sent and must outlive any retention.
            for task in claimed where task.messageID != stillSending.id { try await complete(task) }

            let cutoff = Self.now.adding(seconds: -day)
            #expect(try await store.pruneMessages(before: cutoff, limit: 1) == 1)
            #expect(try await store.message(appID: app.id, idOrEventID: oldest.id) == nil)
            #expect(try await store.message(appID: app.id, idOrEventID: old.id) != nil)
            #expect(try await store.pruneMessages(before: cutoff, limit: 10) == 1)
            #expect(try await store.pruneMessages(before: cutoff, limit: 10) == 0)
            for gone in [oldest, old] {
                #expect(try await store.message(appID: app.id, idOrEventID: gone.id) == nil)
                #expect(try await Self.attempts(store, appID: app.id, messageID: gone.id).isEmpty)
            }
            #expect(try await store.message(appID: app.id, idOrEventID: stillSending.id) != nil)
            #expect(try await store.message(appID: app.id, idOrEventID: recent.id) != nil)
            #expect(try await Self.attempts(store, appID: app.id, messageID: recent.id).count == 1)
            #expect(try await FeedContractTests.readAll(store, endpointID: poller.id).ids == [stillSending.id, recent.id])

            // Once its delivery ends, it goes too.
            try await complete(try #require(claimed.first { $0.messageID == stillSending.id }))
            #expect(try await store.pruneMessages(before: cutoff, limit: 10) == 1)
            #expect(try await store.message(appID: app.id, idOrEventID: stillSending.id) == nil)
            #expect(try await FeedContractTests.readAll(store, endpointID: poller.id).ids == [recent.id])
        }
    }

    /// A resend reads the message, then queues its delivery: if retention deleted the message in between, nothing is
    /// queued and the request is told so (a 404), rather than a delivery that can never be made.
    @Test(arguments: StoreBackend.all)
    func aResendOfAMessageRetentionDeletedQueuesNothing(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let endpoint = try await DeliveryOutcomeContractTests.endpoint(in: store)
            let message = Contract.message(appID: endpoint.appID, at: Self.now.adding(seconds: -7_200))
            let kept = Contract.message(appID: endpoint.appID, at: Self.now)
            for message in [message, kept] { try await store.createMessage(message) }
            let claimed = try await store.claimDeliveries(
                limit: 8,
                now: Self.now,
                leaseUntil: Self.now.adding(seconds: 60),
                owner: "w",
                room: EndpointRoom(cap: 8)
            )
            for task in claimed { try await Self.succeed(task, in: store, at: Self.now) }
            #expect(try await store.pruneMessages(before: Self.now.adding(seconds: -3_600), limit: 10) == 1)
            #expect(
                try await store.enqueueManualAttempt(appID: endpoint.appID, messageID: message.id, endpointID: endpoint.id, now: Self.now) == false
            )
            #expect(try await store.enqueueManualAttempt(appID: endpoint.appID, messageID: kept.id, endpointID: endpoint.id, now: Self.now))
            #expect(try await store.queueDepth(now: Self.now.adding(seconds: 1)).due == 1)
        }
    }

    @Test(arguments: StoreBackend.all)
    func expiredIdempotencyKeysAndRevocationsAreSweptAndNothingElse(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.revokeToken(hash: "expired", expiresAt: Self.now.adding(seconds: -1))
            try await store.revokeToken(hash: "live", expiresAt: Self.now.adding(seconds: 3600))
            // A key whose claim lapsed long ago, and one still held.
            _ = try await store.claimIdempotencyKey("held", now: Self.now, lockUntil: Self.now.adding(seconds: 60))
            _ = try await store.claimIdempotencyKey("stale", now: Self.now.adding(seconds: -100), lockUntil: Self.now.adding(seconds: -50))
            #expect(try await store.sweepExpiredRecords(now: Self.now, messagesBefore: nil) == 2)
            #expect(try await store.claimIdempotencyKey("held", now: Self.now, lockUntil: Self.now.adding(seconds: 60)) == .inProgress)
            #expect(try await store.isTokenRevoked(hashes: ["expired"]) == false)
            #expect(try await store.isTokenRevoked(hashes: ["live"]))
            #expect(try await store.sweepExpiredRecords(now: Self.now, messagesBefore: nil) == 0)
        }
    }

    /// Given retention's cutoff, the kept answers of messages accepted before it go, whatever their expiry (one written
    /// by an instance without retention holds a payload retention promised to delete); later ones and other resources'
    /// answers stay until they expire.
    @Test(arguments: StoreBackend.all)
    func answersOfMessagesBeforeTheCutoffAreSwept(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = StoreContractTests.application()
            try await store.createApplication(app)
            let response = StoredResponse(status: 202, headers: [], body: Array(#"{"id":"m"}"#.utf8))
            let lock = Self.now.adding(seconds: 5)
            let cutoff = Self.now.adding(seconds: -1_200)
            for (key, age) in [("old", Int64(3_600)), ("recent", Int64(60))] {
                #expect(try await store.claimIdempotencyKey(key, now: Self.now, lockUntil: lock) == .acquired)
                var message = StoreContractTests.message(appID: app.id, at: Self.now.adding(seconds: -age))
                message.idempotentAnswer = IdempotentAnswer(key: key, response: response, expiresAt: Self.now.adding(seconds: 43_200))
                try await store.createMessage(message)
            }
            #expect(try await store.claimIdempotencyKey("endpoint", now: Self.now, lockUntil: lock) == .acquired)
            try await store.completeIdempotencyKey("endpoint", response: response, resourceID: "ep_1", expiresAt: Self.now.adding(seconds: 43_200))

            #expect(try await store.sweepExpiredRecords(now: Self.now, messagesBefore: cutoff) == 1)
            #expect(try await store.claimIdempotencyKey("old", now: Self.now, lockUntil: lock) == .acquired)
            #expect(try await store.claimIdempotencyKey("recent", now: Self.now, lockUntil: lock) == .completed(response))
            #expect(try await store.claimIdempotencyKey("endpoint", now: Self.now, lockUntil: lock) == .completed(response))
        }
    }

    /// Records a claimed delivery's first attempt as a success at `time`.
    static func succeed(_ task: DeliveryTask, in store: any HeraldStore, at time: Timestamp) async throws {
        let attempt = DeliveryOutcomeContractTests.attempt(for: task, status: .success, at: time)
        _ = try await store.completeDelivery(
            task,
            result: DeliveryResult(attempt: attempt, next: .succeeded),
            owner: "w",
            now: time,
            disableAfterSeconds: 3600
        )
    }

    static func attempts(_ store: any HeraldStore, appID: String, messageID: String) async throws -> [Attempt] {
        let page = PageRequest(order: .ascending)
        return try await store.listAttempts(
            appID: appID,
            query: AttemptQuery(
                page: page,
                idRange: ListWindow.idRange(prefix: .attempt, before: nil, after: nil, page: page, now: Self.now.adding(seconds: 60)),
                messageID: messageID
            )
        ).items
    }

    @Test(arguments: StoreBackend.all)
    func releasedLeasesAreDueAtOnceAndOnlyTheOwnersAreReleased(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let app = Contract.application()
            try await store.createApplication(app)
            var endpoint = Contract.endpoint(appID: app.id)
            endpoint.eventTypes = nil
            try await store.createEndpoint(endpoint)
            try await store.createMessage(Contract.message(appID: app.id))
            try await store.createMessage(Contract.message(appID: app.id, at: Self.now.adding(milliseconds: -1)))
            let now = Self.now
            func claim(_ owner: String) async throws -> Int {
                try await store.claimDeliveries(limit: 1, now: now, leaseUntil: now.adding(seconds: 3600), owner: owner, room: EndpointRoom(cap: 8))
                    .count
            }
            #expect(try await claim("a") == 1)
            #expect(try await claim("b") == 1)
            #expect(try await claim("c") == 0)

            try await store.releaseLeases(owner: "nobody", now: now)
            #expect(try await claim("c") == 0)
            try await store.releaseLeases(owner: "a", now: now)
            #expect(try await store.nextDueTime(now: now) == now)
            #expect(try await claim("c") == 1)
            #expect(try await claim("c") == 0)
            try await store.releaseLeases(owner: nil, now: now)
            #expect(try await claim("d") == 1)
            #expect(try await claim("d") == 1)
        }
    }

    @Test(arguments: StoreBackend.all)
    func liveViewsSeeTheirOrganisationsActivityAndQueueOnly(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (app, endpoint, message, attempt) = try await Self.delivered(store, status: .fail, response: "down")
            _ = try await Self.delivered(store, status: .success, orgID: "org_stranger000000000000000000")
            let now = Self.now.adding(seconds: 2)

            let activity = try await store.liveActivity(orgID: Contract.org, appID: nil, since: Self.now, limit: 10)
            #expect(activity.map(\.id) == [message.id, attempt.id])
            #expect(try await store.liveActivity(orgID: Contract.org, appID: app.id, since: now, limit: 10).isEmpty)
            #expect(try await store.liveActivity(orgID: Contract.org, appID: "app_other", since: Self.now, limit: 10).isEmpty)
            #expect(try await store.liveActivity(orgID: Contract.org, appID: nil, since: Self.now, limit: 1).map(\.id) == [message.id])

            let stats = try await store.liveStats(orgID: Contract.org, appID: app.id, now: now, windowSeconds: 60)
            #expect(stats.messages == 1)
            #expect(stats.attempts == 1)
            #expect(stats.successfulAttempts == 0)
            #expect(stats.durationsMs == [3])
            #expect(stats.retrying == 1)
            #expect(stats.due == 0)
            let later = try await store.liveStats(orgID: Contract.org, appID: app.id, now: now.adding(seconds: 60), windowSeconds: 60)
            #expect(later.messages == 0 && later.due == 1 && later.retrying == 1)

            let history = try await store.liveHistory(orgID: Contract.org, appID: nil, now: now, minutes: 1, bucketSeconds: 10)
            #expect(history.count == 7 || history.count == 6)
            #expect(history.map(\.messages).reduce(0, +) == 1)
            #expect(history.map(\.successfulAttempts).reduce(0, +) == 0)

            let health = try await store.endpointHealth(orgID: Contract.org, appID: nil, changedSince: nil)
            #expect(health.map(\.endpoint.id) == [endpoint.id])
            #expect(health.first?.lastStatusCode == 500)
            #expect(health.first?.lastAttemptAt == attempt.createdAt)
            #expect(health.first?.appName == app.name)
            #expect(try await store.endpointHealth(orgID: Contract.org, appID: nil, changedSince: now).isEmpty)
            try await store.deleteEndpoint(appID: app.id, id: endpoint.id)
            let changed = try await store.endpointHealth(orgID: Contract.org, appID: nil, changedSince: Self.now)
            #expect(changed.map(\.deleted) == [true])
        }
    }
}
