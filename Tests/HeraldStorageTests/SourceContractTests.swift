import HeraldCore
import HeraldTesting
import Testing

/// Inbound sources on every backend: stored with their secrets sealed, found by their ingest token (and by nothing
/// else once rotated or deleted), and a received message's envelope kept with it through the claim.
@Suite struct SourceContractTests {
    static func source(appID: String, uid: String? = nil) -> Source {
        let now = StoreContractTests.now
        return Source(
            id: IDPrefix.source.makeID(timestampMs: now.milliseconds),
            appID: appID,
            uid: uid,
            name: "Stripe",
            verification: .stripe(secret: "whsec_sealed", toleranceSeconds: 300),
            mapping: SourceMapping(eventType: .jsonPath("data.type"), eventID: .header("x-id")),
            token: Source.makeToken(),
            rateLimit: 7,
            metadata: ["team": "payments"],
            createdAt: now,
            updatedAt: now
        )
    }

    /// An idempotent request's answer commits with its source: a crash before the middleware's own completion leaves
    /// a retry the replay, never a second source; a source refused (uid taken) keeps no answer.
    @Test(arguments: StoreBackend.all)
    func aSourceAndItsIdempotentAnswerCommitTogether(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let application = StoreContractTests.application()
            try await store.createApplication(application)
            let now = StoreContractTests.now
            let lock = now.adding(seconds: 5)
            let response = StoredResponse(status: 201, headers: [["content-type", "application/json"]], body: Array(#"{"id":"s"}"#.utf8))
            #expect(try await store.claimIdempotencyKey("source", now: now, lockUntil: lock) == .acquired)
            let answer = IdempotentAnswer(key: "source", response: response, expiresAt: now.adding(seconds: 100))
            try await store.createSource(Self.source(appID: application.id, uid: "stripe"), answer: answer)
            #expect(
                try await store.claimIdempotencyKey("source", now: lock.adding(seconds: 1), lockUntil: lock.adding(seconds: 6))
                    == .completed(response)
            )

            #expect(try await store.claimIdempotencyKey("taken", now: now, lockUntil: lock) == .acquired)
            let refused = IdempotentAnswer(key: "taken", response: response, expiresAt: now.adding(seconds: 100))
            await #expect(throws: StorageError.duplicate(.sourceUID)) {
                try await store.createSource(Self.source(appID: application.id, uid: "stripe"), answer: refused)
            }
            #expect(try await store.claimIdempotencyKey("taken", now: now, lockUntil: lock) == .inProgress)
            #expect(try await store.countSources(appID: application.id) == 1)
        }
    }

    @Test(arguments: StoreBackend.all)
    func sourcesAreStoredFoundByTokenRotatedAndDeleted(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let application = StoreContractTests.application()
            let other = StoreContractTests.application()
            try await store.createApplication(application)
            try await store.createApplication(other)
            var source = Self.source(appID: application.id, uid: "stripe")
            try await store.createSource(source, answer: nil)
            #expect(try await store.source(appID: application.id, idOrUID: source.id) == source)
            #expect(try await store.source(appID: application.id, idOrUID: "stripe") == source)
            #expect(try await store.source(appID: other.id, idOrUID: source.id) == nil)
            let found = try #require(try await store.source(ingestToken: source.token))
            #expect(found.source == source && found.orgID == application.orgID)

            // A uid is unique within its application only.
            await #expect(throws: StorageError.duplicate(.sourceUID)) {
                try await store.createSource(Self.source(appID: application.id, uid: "stripe"), answer: nil)
            }
            try await store.createSource(Self.source(appID: other.id, uid: "stripe"), answer: nil)
            #expect(try await store.countSources(appID: application.id) == 1)

            let oldToken = source.token
            source.verification = .github(secret: "rotated")
            source.disabled = true
            // A change of fields carries no token: it cannot undo a rotation made at the same moment.
            var stale = source
            stale.token = "ignored"
            try await store.updateSource(stale)
            #expect(try await store.source(ingestToken: oldToken)?.source == source)
            source.token = Source.makeToken()
            try await store.rotateSourceToken(appID: application.id, id: source.id, token: source.token, at: source.updatedAt)
            #expect(try await store.source(ingestToken: oldToken) == nil)
            #expect(try await store.source(ingestToken: source.token)?.source == source)
            let page = try await store.listSources(appID: application.id, page: PageRequest(limit: 10, order: .ascending))
            #expect(page.items == [source])

            try await store.deleteSource(appID: application.id, id: source.id)
            #expect(try await store.source(ingestToken: source.token) == nil)
            #expect(try await store.countSources(appID: application.id) == 0)
        }
    }

    @Test(arguments: StoreBackend.all)
    func aReceivedMessageKeepsItsEnvelopeThroughTheClaim(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let application = StoreContractTests.application()
            try await store.createApplication(application)
            var endpoint = StoreContractTests.endpoint(appID: application.id)
            endpoint.eventTypes = nil
            try await store.createEndpoint(endpoint)
            var message = StoreContractTests.message(appID: application.id, eventID: "evt_1", eventType: "a.b")
            message.payload = Array("name=Ada&x=%FF".utf8)
            message.inbound = InboundEnvelope(
                sourceID: "src_x",
                contentType: "application/x-www-form-urlencoded",
                headers: [InboundEnvelope.Header(name: "x-hub-signature-256", value: "sha256=ab"), InboundEnvelope.Header(name: "x-a", value: "1")],
                payloadIsBody: false
            )
            let published = StoreContractTests.message(appID: application.id, eventID: nil, eventType: "a.b")
            try await store.createMessage(message)
            try await store.createMessage(published)
            #expect(try await store.message(appID: application.id, idOrEventID: "evt_1") == message)
            #expect(try await store.message(appID: application.id, idOrEventID: published.id)?.inbound == nil)
            let now = StoreContractTests.now
            let claimed = try await store.claimDeliveries(
                limit: 10,
                now: now,
                leaseUntil: now.adding(seconds: 600),
                owner: "w",
                room: EndpointRoom(cap: 10)
            )
            #expect(claimed.count == 2)
            #expect(claimed.first { $0.messageID == message.id }?.inbound == message.inbound)
            #expect(claimed.first { $0.messageID == message.id }?.payload == message.payload)
            #expect(claimed.first { $0.messageID == published.id }?.inbound == nil)
        }
    }

    @Test(arguments: StoreBackend.all)
    func trafficAddsUpAndShowsInTheLiveStats(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let application = StoreContractTests.application()
            try await store.createApplication(application)
            let source = Self.source(appID: application.id)
            try await store.createSource(source, answer: nil)
            var first = SourceTraffic()
            first.received = 3
            first.accepted = 2
            first.rejected = 1
            first.lastRejection = "bad_signature"
            first.lastRejectedAt = StoreContractTests.now
            first.recentRejections = [
                SourceTraffic.RejectionSample(at: StoreContractTests.now, reason: "bad_signature", userAgent: "GitHub-Hookshot/1", contentLength: 12)
            ]
            var second = SourceTraffic()
            second.received = 1
            second.duplicates = 1
            // A deleted source's late counts are skipped, not an error.
            try await store.addSourceTraffic([source.id: first, "src_gone": first])
            try await store.addSourceTraffic([source.id: second])
            var expected = first
            expected.add(second)
            #expect(expected.received == 4 && expected.lastRejection == "bad_signature")
            #expect(try await store.source(appID: application.id, idOrUID: source.id)?.traffic == expected)
            let stats = try await store.liveStats(orgID: application.orgID, appID: application.id, now: StoreContractTests.now, windowSeconds: 60)
            #expect(stats.sources.map(\.sourceID) == [source.id])
            #expect(stats.sources.first?.traffic == expected)
            let otherOrg = try await store.liveStats(orgID: "org_other", appID: nil, now: StoreContractTests.now, windowSeconds: 60)
            #expect(otherOrg.sources.isEmpty)
        }
    }
}
