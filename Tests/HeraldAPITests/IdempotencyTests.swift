import HTTPTypes
import HeraldAPI
import HeraldCore
import HeraldTesting
import Testing

@Suite struct IdempotencyTests {
    @Test func aRepeatedKeyReplaysTheFirstSuccess() async throws {
        try await APIHarness().run { api in
            let key: HTTPFields = [.init("idempotency-key")!: "k1"]
            let otherKey: HTTPFields = [.init("idempotency-key")!: "k2"]
            let first = try await api.request(.post, "/api/v1/app", body: #"{"name":"Once"}"#, headers: key)
            let second = try await api.request(.post, "/api/v1/app", body: #"{"name":"Twice"}"#, headers: key)
            #expect(first.status == 201)
            #expect(second.status == 201)
            #expect(second.body == first.body)
            #expect(try await api.request(.get, "/api/v1/app").json?["data"]?.arrayValue?.count == 1)

            let other = try await api.request(.post, "/api/v1/app", body: #"{"name":"Other"}"#, headers: otherKey)
            #expect(other.json?["id"] != first.json?["id"])
        }
    }

    /// send-example creates a message too: its answer is kept with it, and a retry replays it instead of sending again.
    @Test func aRepeatedSendExampleReplaysItsMessage() async throws {
        try await APIHarness().run { api in
            let app = try await api.request(.post, "/api/v1/app", body: #"{"name":"Examples","uid":"examples"}"#)
            #expect(app.status == 201)
            let endpoint = try await api.request(.post, "/api/v1/app/examples/endpoint", body: #"{"url":"https://example.com/hook"}"#)
            let endpointID = try #require(endpoint.json?["id"]?.string)
            let key: HTTPFields = [.init("idempotency-key")!: "example-1"]
            let path = "/api/v1/app/examples/endpoint/\(endpointID)/send-example"
            let first = try await api.request(.post, path, body: #"{"eventType":"svix.ping"}"#, headers: key)
            let second = try await api.request(.post, path, body: #"{"eventType":"svix.ping"}"#, headers: key)
            #expect(first.status == 202)
            #expect(second.status == 202)
            #expect(second.body == first.body)
            #expect(try await api.request(.get, "/api/v1/app/examples/msg").json?["data"]?.arrayValue?.count == 1)
        }
    }

    /// A source's answer (its ingest URL) is kept with it: a retry replays it instead of creating a second source.
    @Test func aRepeatedSourceCreationReplaysItsSource() async throws {
        try await APIHarness().run { api in
            #expect(try await api.request(.post, "/api/v1/app", body: #"{"name":"Inbound","uid":"inbound"}"#).status == 201)
            let key: HTTPFields = [.init("idempotency-key")!: "source-1"]
            let body = #"{"name":"Hooks","verification":{"type":"none"}}"#
            let first = try await api.request(.post, "/api/v1/app/inbound/source", body: body, headers: key)
            let second = try await api.request(.post, "/api/v1/app/inbound/source", body: body, headers: key)
            #expect(first.status == 201)
            #expect(second.status == 201)
            #expect(second.body == first.body)
            #expect(try await api.request(.get, "/api/v1/app/inbound/source").json?["data"]?.arrayValue?.count == 1)
        }
    }

    /// The window is Svix's 12 hours unless retention is shorter (an answer holds the message's payload, which must
    /// not outlive retention), and never under a minute (an answer must outlive the commit that writes it).
    @Test func theWindowIsTwelveHoursOrTheRetentionIfShorter() {
        #expect(APISettings.idempotencyWindow(retention: nil) == 12 * 3600)
        #expect(APISettings.idempotencyWindow(retention: RetentionPeriod(parsing: "90d")) == 12 * 3600)
        #expect(APISettings.idempotencyWindow(retention: RetentionPeriod(parsing: "20m")) == 20 * 60)
        #expect(APISettings.idempotencyWindow(retention: RetentionPeriod(parsing: "5s")) == 60)
    }

    /// After the window a retry runs again, both for answers kept with the message and for those the middleware keeps.
    @Test func aRetryAfterTheWindowRunsAgain() async throws {
        let clock = ManualClock()
        try await APIHarness(settings: APISettings(idempotencyWindowSeconds: 60), clock: clock).run { api in
            let key: HTTPFields = [.init("idempotency-key")!: "late"]
            let firstApp = try await api.request(.post, "/api/v1/app", body: #"{"name":"Late","uid":"late"}"#, headers: key)
            #expect(firstApp.status == 201)
            let message = #"{"eventType":"order.paid","payload":{"n":1}}"#
            let first = try await api.request(.post, "/api/v1/app/late/msg", body: message, headers: key)
            clock.advance(seconds: 59)
            let replayed = try await api.request(.post, "/api/v1/app/late/msg", body: message, headers: key)
            #expect(first.status == 202)
            #expect(replayed.body == first.body)

            clock.advance(seconds: 2)
            let again = try await api.request(.post, "/api/v1/app/late/msg", body: message, headers: key)
            #expect(again.status == 202)
            #expect(again.json?["id"] != nil)
            #expect(again.json?["id"] != first.json?["id"])
            #expect(try await api.request(.get, "/api/v1/app/late/msg").json?["data"]?.arrayValue?.count == 2)
            let secondApp = try await api.request(.post, "/api/v1/app", body: #"{"name":"Late again"}"#, headers: key)
            #expect(secondApp.status == 201)
            #expect(secondApp.json?["id"] != firstApp.json?["id"])
        }
    }

    @Test func failuresAreNotKept() async throws {
        try await APIHarness().run { api in
            let key: HTTPFields = [.init("idempotency-key")!: "retry-me"]
            let failed = try await api.request(.post, "/api/v1/app", body: #"{"name":""}"#, headers: key)
            let retried = try await api.request(.post, "/api/v1/app", body: #"{"name":"Fixed"}"#, headers: key)
            #expect(failed.status == 422)
            #expect(retried.status == 201)
        }
    }

    /// Keys belong to the caller (the organisation, or an app token's application), not to one token: a client that
    /// retries with a new token of the same organisation gets the first answer; another organisation never does.
    @Test func theKeyIsScopedByCallerAndPath() async throws {
        let harness = try await APIHarness()
        let stranger = Credentials.bearer(try await harness.token(org: "org_2other0000000000000000000"))
        let sameOrganisation = Credentials.bearer(try await harness.token(org: APIHarness.orgID))
        try await harness.run { api in
            let key: HTTPFields = [.init("idempotency-key")!: "shared"]
            let mine = try await api.request(.post, "/api/v1/app", body: #"{"name":"Mine"}"#, headers: key)
            let theirs = try await api.request(.post, "/api/v1/app", body: #"{"name":"Theirs"}"#, auth: stranger, headers: key)
            #expect(theirs.json?["name"]?.string == "Theirs")
            #expect(theirs.json?["id"] != mine.json?["id"])
            let retried = try await api.request(.post, "/api/v1/app", body: #"{"name":"Mine"}"#, auth: sameOrganisation, headers: key)
            #expect(retried.json?["id"] == mine.json?["id"])
            let elsewhere = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"a.b","description":"d"}"#, headers: key)
            #expect(elsewhere.json?["name"]?.string == "a.b")
        }
    }
}
