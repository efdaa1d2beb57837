import Foundation
import HTTPTypes
import HeraldAPI
import HeraldCore
import HeraldTesting
import Testing

/// The attacks of issue 13, each a single request away on the code before it: none may end the process, outlive a
/// logout, or leave a secret readable at rest.
@Suite struct TrustTests {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    /// A live view's stream that ends by itself: its token expires `seconds` after being made.
    static func shortLivedToken(seconds: Int) -> Credentials {
        .bearer(
            TokenForge.make(
                claims: ["sub": APIHarness.orgID, "jti": UUID().uuidString, "exp": TokenForge.now() + seconds],
                secret: APIHarness.secret
            )
        )
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [("1", 200), ("2999", 200), ("0-x", 200), ("9999999999999999", 200), ("-1", 422), ("9223372036854775807", 422), ("a", 422)]
    )
    func aResumeIDFromTheDistantPastOrFutureDoesNotEndTheProcess(lastEventID: String, status: Int) async throws {
        let settings = APISettings(tokenRecheckInterval: .milliseconds(100))
        try await APIHarness(settings: settings).run { api in
            let response = try await api.request(
                .get,
                "/api/v1/live",
                auth: Self.shortLivedToken(seconds: 2),
                headers: [Self.lastEventID: lastEventID]
            )
            #expect(response.status == status)
            if status == 422 {
                #expect(response.json?["detail"]?[0]?["loc"] == .array([.string("header"), .string("Last-Event-ID")]))
            } else {
                #expect(String(decoding: response.body, as: UTF8.self).contains("event: health"))
            }
        }
    }

    @Test func timesFromClientsSaturateInsteadOfTrapping() {
        #expect(Timestamp(milliseconds: .max).adding(seconds: 10).milliseconds == .max)
        #expect(Timestamp(milliseconds: .min).adding(milliseconds: -1).milliseconds == .min)
        #expect(Timestamp(milliseconds: 0).adding(seconds: .max).milliseconds == .max)
        #expect(Timestamp(milliseconds: 5).milliseconds(since: Timestamp(milliseconds: .min)) == .max)
        for milliseconds: Int64 in [.min, -1, 1, 2999, .max] {
            let id = IDPrefix.message.startID(timestampMs: milliseconds)
            #expect(id.utf8.count == "msg_".utf8.count + KSUID.encodedLength)
        }
    }

    /// Every spelling that verifies alike: the signature's last character moved to a neighbour that decodes to the
    /// same bytes (base64url ignores its low bits), and padding.
    static func respellings(of token: String) -> [String] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        guard let last = token.last, let index = alphabet.firstIndex(of: last) else { return [] }
        let neighbour = alphabet[index ^ 1]
        return [String(token.dropLast()) + String(neighbour), token + "=", token + "=="]
    }

    @Test func logoutEndsEverySpellingOfTheToken() async throws {
        try await APIHarness().run { api in
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"a"}"#)
            let access = try await api.request(.post, "/api/v1/auth/app-portal-access/a", body: "{}")
            let token = try #require(access.json?["token"]?.string)
            let spellings = Self.respellings(of: token)
            // Each spelling is accepted before the logout (and so sits in the verified-token cache)...
            var acceptedBefore = 0
            for spelling in [token] + spellings where try await api.request(.get, "/api/v1/app/a", auth: .bearer(spelling)).status == 200 {
                acceptedBefore += 1
            }
            // The token, its neighbour spelling and one padded spelling verify alike (that is the attack).
            #expect(acceptedBefore >= 3)
            #expect(try await api.request(.post, "/api/v1/auth/logout", auth: .bearer(spellings[0])).status == 204)
            // ...and none after it.
            for spelling in [token] + spellings {
                #expect(try await api.request(.get, "/api/v1/app/a", auth: .bearer(spelling)).status == 401, "\(spelling.suffix(4))")
            }
        }
    }

    @Test func aTokenWithoutIDIsRevokedByWhatItsSignatureCovers() async throws {
        let token = TokenForge.make(claims: ["sub": APIHarness.orgID], secret: APIHarness.secret)
        try await APIHarness().run { api in
            let logout = try await api.request(.post, "/api/v1/auth/logout", auth: .bearer(token))
            #expect(logout.status == 204)
            for spelling in [token] + Self.respellings(of: token) {
                #expect(try await api.request(.get, "/api/v1/app", auth: .bearer(spelling)).status == 401)
            }
            #expect(try await api.request(.get, "/api/v1/app").status == 200)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func openStreamsEndWhenTheirTokenIsLoggedOut() async throws {
        let harness = try await APIHarness(settings: APISettings(tokenRecheckInterval: .milliseconds(200)))
        try await harness.run { api in
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"a"}"#)
            _ = try await api.request(.post, "/api/v1/app/a/endpoint", body: #"{"url":"poller://","uid":"sink"}"#)
            let access = try await api.request(.post, "/api/v1/auth/app-portal-access/a", body: "{}")
            let portal = Credentials.bearer(try #require(access.json?["token"]?.string))
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Each returns only once its stream has ended: the time limit fails the test otherwise.
                group.addTask {
                    let live = try await api.request(.get, "/api/v1/live", auth: portal)
                    #expect(live.status == 200)
                }
                group.addTask {
                    let feed = try await api.request(.get, "/api/v1/app/a/poller/sink/stream", auth: portal)
                    #expect(feed.status == 200)
                }
                #expect(try await holds { harness.environment.openStreamCount == 2 })
                #expect(try await api.request(.post, "/api/v1/auth/logout", auth: portal).status == 204)
                try await group.waitForAll()
            }
        }
    }

    @Test func idempotentResponsesAreSealedAndForgottenWithTheirMessage() async throws {
        let harness = try await APIHarness()
        try await harness.run { api in
            let created = try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"a"}"#)
            #expect(created.status == 201)
            let key: HTTPFields = [.init("idempotency-key")!: "secret-bearing"]
            let endpoint = try await api.request(
                .post,
                "/api/v1/app/a/endpoint",
                body: #"{"url":"https://example.com/hook","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#,
                headers: key
            )
            #expect(endpoint.status == 201)
            let portalKey: HTTPFields = [.init("idempotency-key")!: "portal"]
            let access = try await api.request(.post, "/api/v1/auth/app-portal-access/a", body: "{}", headers: portalKey)
            let portalToken = try #require(access.json?["token"]?.string)
            let messageKey: HTTPFields = [.init("idempotency-key")!: "message"]
            let message = try await api.request(
                .post,
                "/api/v1/app/a/msg",
                body: #"{"eventType":"a.b","payload":{"card":"4242-PAYLOAD-MARKER"}}"#,
                headers: messageKey
            )
            #expect(message.status == 202)
            let replayed = try await api.request(.post, "/api/v1/auth/app-portal-access/a", body: "{}", headers: portalKey)
            #expect(replayed.json?["token"]?.string == portalToken)

            let file = try Data(contentsOf: URL(fileURLWithPath: harness.directory.file("herald.db")))
            let wal = (try? Data(contentsOf: URL(fileURLWithPath: harness.directory.file("herald.db") + "-wal"))) ?? Data()
            // (The payload itself is kept in the messages table until expunged, so it is looked for through the API below.)
            for secret in ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", portalToken] {
                #expect(file.range(of: Data(secret.utf8)) == nil && wal.range(of: Data(secret.utf8)) == nil, "\(secret.prefix(8)) in clear")
            }

            let id = try #require(message.json?["id"]?.string)
            #expect(try await api.request(.delete, "/api/v1/app/a/msg/\(id)/content").status == 204)
            // The replay is gone with the content: the same key runs the request again (a new message).
            let again = try await api.request(
                .post,
                "/api/v1/app/a/msg",
                body: #"{"eventType":"a.b","payload":{"other":1}}"#,
                headers: messageKey
            )
            #expect(again.status == 202)
            #expect(again.json?["id"]?.string != id)
        }
    }
}

/// Each tenant's share: caps and rates give a clear 4xx (429 with `Retry-After` for rates), never a slowdown for others.
@Suite struct TenantLimitTests {
    static func harness(_ limits: TenantLimits) async throws -> APIHarness {
        try await APIHarness(settings: APISettings(tokenRecheckInterval: .milliseconds(100), limits: limits))
    }

    @Test func messagesPastTheApplicationsRateGet429WithRetryAfter() async throws {
        try await Self.harness(TenantLimits(messagesPerSecondPerApplication: 1)).run { api in
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"a"}"#)
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"B","uid":"b"}"#)
            let body = #"{"eventType":"a.b","payload":{}}"#
            // A burst of twice the rate passes, then the bucket is empty. (On a loaded machine a request may take long
            // enough for a token to come back: the refusal is looked for among a few more, not at the third exactly.)
            #expect(try await api.request(.post, "/api/v1/app/a/msg", body: body).status == 202)
            #expect(try await api.request(.post, "/api/v1/app/a/msg", body: body).status == 202)
            var refused = try await api.request(.post, "/api/v1/app/a/msg", body: body)
            for _ in 0..<8 where refused.status == 202 { refused = try await api.request(.post, "/api/v1/app/a/msg", body: body) }
            #expect(refused.status == 429)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.json?["code"]?.string == "rate_limit_exceeded")
            // Another application's bucket is its own.
            #expect(try await api.request(.post, "/api/v1/app/b/msg", body: body).status == 202)
        }
    }

    @Test func resendsAndRecoversShareARate() async throws {
        try await Self.harness(TenantLimits(resendsPerSecondPerApplication: 1)).run { api in
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"a"}"#)
            _ = try await api.request(.post, "/api/v1/app/a/endpoint", body: #"{"url":"https://example.com/hook","uid":"ep"}"#)
            _ = try await api.request(.post, "/api/v1/app/a/msg", body: #"{"eventType":"a.b","eventId":"m1","payload":{}}"#)
            // The burst is ten seconds' worth: a recover costs all of it.
            let since = Timestamp.now().adding(seconds: -3600)
            let recover = try await api.request(.post, "/api/v1/app/a/endpoint/ep/recover", body: #"{"since":"\#(since)"}"#)
            #expect(recover.status == 202)
            // (On a loaded machine a token may come back before the resend: the refusal is looked for among two more,
            // few enough that a recover costing less than the burst would let all three through.)
            var resend = try await api.request(.post, "/api/v1/app/a/msg/m1/endpoint/ep/resend")
            for _ in 0..<2 where resend.status == 202 { resend = try await api.request(.post, "/api/v1/app/a/msg/m1/endpoint/ep/resend") }
            #expect(resend.status == 429)
            #expect(resend.headers[.retryAfter] != nil)
        }
    }

    @Test func endpointsPerApplicationAndEventTypesPerEndpointAreCapped() async throws {
        try await Self.harness(TenantLimits(maxEndpointsPerApplication: 2, maxEventTypesPerEndpoint: 2)).run { api in
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"a"}"#)
            for name in ["a.one", "a.two", "a.three"] {
                _ = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"\#(name)","description":"d"}"#)
            }
            let tooMany = try await api.request(
                .post,
                "/api/v1/app/a/endpoint",
                body: #"{"url":"https://example.com/1","filterTypes":["a.one","a.two","a.three"]}"#
            )
            #expect(tooMany.status == 422)
            for index in 1...2 {
                let created = try await api.request(.post, "/api/v1/app/a/endpoint", body: #"{"url":"https://example.com/\#(index)"}"#)
                #expect(created.status == 201)
            }
            let third = try await api.request(.post, "/api/v1/app/a/endpoint", body: #"{"url":"https://example.com/3"}"#)
            #expect(third.status == 409)
            #expect(third.json?["code"]?.string == "too_many_endpoints")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aTokenHoldsAtMostItsShareOfStreams() async throws {
        let harness = try await Self.harness(TenantLimits(maxStreamsPerToken: 2))
        try await harness.run { api in
            let token = TrustTests.shortLivedToken(seconds: 5)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2 { group.addTask { try await api.request(.get, "/api/v1/live", auth: token).status } }
                // The two streams stay open until their token expires.
                #expect(try await holds { harness.environment.openStreamCount == 2 })
                let third = try await api.request(.get, "/api/v1/live", auth: token)
                #expect(third.status == 429)
                #expect(try await api.request(.get, "/api/v1/live", auth: TrustTests.shortLivedToken(seconds: 2)).status == 200)
                for try await status in group { #expect(status == 200) }
            }
            // Ended streams give their slots back. (Two seconds: a token of one may expire on its way, exp being whole seconds.)
            let after = try await api.request(.get, "/api/v1/live", auth: TrustTests.shortLivedToken(seconds: 2))
            #expect(after.status == 200, "\(String(decoding: after.body, as: UTF8.self))")
        }
    }
}
