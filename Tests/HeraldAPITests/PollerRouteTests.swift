import HeraldCore
import HeraldTesting
import Testing

@Suite struct PollerRouteTests {
    /// An application `shop` with a polling endpoint `feed` taking `a.b` and a message of each of `a.b` and `c.d`.
    static func withFeed(_ body: @Sendable @escaping (APIClient) async throws -> Void) async throws {
        try await withFeed { api, _ in try await body(api) }
    }

    static func withFeed(_ body: @Sendable @escaping (APIClient, APIHarness) async throws -> Void) async throws {
        let harness = try await APIHarness()
        try await harness.run { api in
            try #require(try await api.request(.post, "/api/v1/app", body: #"{"name":"Shop","uid":"shop"}"#).status == 201)
            for type in ["a.b", "c.d"] {
                _ = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"\#(type)","description":"d"}"#)
            }
            let created = try await api.request(
                .post,
                "/api/v1/app/shop/endpoint",
                body: #"{"url":"poller://","uid":"feed","filterTypes":["a.b"]}"#
            )
            try #require(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
            #expect(created.json?["url"]?.string == "poller://")
            for type in ["a.b", "c.d"] {
                try #require(
                    try await api.request(.post, "/api/v1/app/shop/msg", body: #"{"eventType":"\#(type)","payload":{"t":"\#(type)"}}"#).status == 202
                )
            }
            try await body(api, harness)
        }
    }

    static func ids(_ response: APIResponse) -> [String] {
        guard case .array(let items) = response.json?["data"] else { return [] }
        return items.compactMap { $0["id"]?.string }
    }

    @Test func pollingReadsWhatTheFiltersMatchThenContinuesFromTheIterator() async throws {
        try await Self.withFeed { api in
            let first = try await api.request(.get, "/api/v1/app/shop/poller/feed")
            #expect(first.status == 200)
            #expect(Self.ids(first).count == 1)
            #expect(first.json?["data"]?[0]?["eventType"]?.string == "a.b")
            #expect(first.json?["data"]?[0]?["payload"]?["t"]?.string == "a.b")
            #expect(first.json?["done"] == .bool(true))
            let iterator = try #require(first.json?["iterator"]?.string)
            let next = try await api.request(.get, "/api/v1/app/shop/poller/feed?iterator=\(iterator)")
            #expect(Self.ids(next).isEmpty)
            #expect(next.json?["iterator"]?.string == iterator)

            _ = try await api.request(.post, "/api/v1/app/shop/msg", body: #"{"eventType":"a.b","payload":{}}"#)
            #expect(Self.ids(try await api.request(.get, "/api/v1/app/shop/poller/feed?iterator=\(iterator)")).count == 1)
            #expect(Self.ids(try await api.request(.get, "/api/v1/app/shop/poller/feed?event_type=c.d")).isEmpty)
        }
    }

    @Test func consumersContinueWhereTheyStoppedAndSeek() async throws {
        try await Self.withFeed { api in
            let path = "/api/v1/app/shop/poller/feed/consumer/worker-1"
            #expect(Self.ids(try await api.request(.get, path)).count == 1)
            #expect(Self.ids(try await api.request(.get, path)).isEmpty)
            let seek = try await api.request(.post, path + "/seek", body: #"{"after":"2000-01-01T00:00:00Z"}"#)
            #expect(seek.status == 200)
            #expect(seek.json?["iterator"]?.string?.hasPrefix("pi_") == true)
            #expect(Self.ids(try await api.request(.get, path)).count == 1)
            // Another consumer has its own position.
            #expect(Self.ids(try await api.request(.get, "/api/v1/app/shop/poller/feed/consumer/worker-2")).count == 1)
        }
    }

    @Test func aLongPollReturnsWhenAMatchingMessageCommits() async throws {
        try await Self.withFeed { api, harness in
            let path = "/api/v1/app/shop/poller/feed/consumer/waiter"
            #expect(Self.ids(try await api.request(.get, path)).count == 1)
            async let waited = api.request(.get, path + "?wait=20")
            #expect(try await holds { harness.store.feedChanged.waiterCount == 1 })
            let sent = try await api.request(.post, "/api/v1/app/shop/msg", body: #"{"eventType":"a.b","payload":{"late":true}}"#)
            let response = try await waited
            #expect(Self.ids(response) == [try #require(sent.json?["id"]?.string)])
        }
    }

    @Test func badRequestsAreRefusedInWords() async throws {
        try await Self.withFeed { api in
            let pushed = try await api.request(.post, "/api/v1/app/shop/endpoint", body: #"{"url":"https://example.com/hook","uid":"push"}"#)
            #expect(pushed.status == 201)
            let notPoller = try await api.request(.get, "/api/v1/app/shop/poller/push")
            #expect(notPoller.status == 400)
            #expect(notPoller.json?["code"]?.string == "not_a_polling_endpoint")
            #expect(try await api.request(.get, "/api/v1/app/shop/poller/feed?iterator=nonsense").status == 422)
            #expect(try await api.request(.get, "/api/v1/app/shop/poller/feed?wait=31").status == 422)
            #expect(try await api.request(.get, "/api/v1/app/shop/poller/feed/consumer/bad%20id").status == 422)
            #expect(try await api.request(.post, "/api/v1/app/shop/poller/feed/consumer/c/seek", body: "{}").status == 422)
            #expect(try await api.request(.get, "/api/v1/app/shop/poller/missing").status == 404)
            let message = try #require(Self.ids(try await api.request(.get, "/api/v1/app/shop/poller/feed")).first)
            let resend = try await api.request(.post, "/api/v1/app/shop/msg/\(message)/endpoint/feed/resend")
            #expect(resend.status == 400)
        }
    }
}
