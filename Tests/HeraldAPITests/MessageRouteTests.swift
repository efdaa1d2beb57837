import HeraldCore
import HeraldTesting
import Testing

@Suite struct MessageRouteTests {
    static func withApp(_ body: @Sendable @escaping (APIClient, APIHarness) async throws -> Void) async throws {
        let harness = try await APIHarness()
        try await harness.run { api in
            try #require(try await api.request(.post, "/api/v1/app", body: #"{"name":"Shop","uid":"shop"}"#).status == 201)
            try await body(api, harness)
        }
    }

    @Test func payloadIsStoredByteForByte() async throws {
        try await Self.withApp { api, harness in
            let payload = #"{ "amount" : 10.50, "big": 12345678901234567890, "text":"caf\u00e9", "nested": {"a":[1, 2]} }"#
            let response = try await api.request(.post, "/api/v1/app/shop/msg", body: #"{"eventType":"order.paid","payload":\#(payload)}"#)
            #expect(response.status == 202)
            let id = try #require(response.json?["id"]?.string)
            #expect(id.hasPrefix("msg_"))
            #expect(response.json?["payload"]?["nested"]?["a"]?[1]?.int == 2)
            let app = try #require(try await harness.store.application(orgID: APIHarness.orgID, idOrUID: "shop"))
            let stored = try #require(try await harness.store.message(appID: app.id, idOrEventID: id))
            #expect(stored.payload == Array(payload.utf8))
        }
    }

    @Test func dataIsAnAliasOfPayload() async throws {
        try await Self.withApp { api, _ in
            let response = try await api.request(.post, "/api/v1/app/shop/msg", body: #"{"eventType":"a.b","data":{"x":1}}"#)
            #expect(response.status == 202)
            #expect(response.json?["payload"]?["x"]?.int == 1)
        }
    }

    @Test(arguments: [
        (#"{"eventType":"a.b","payload":[1,2]}"#, ["body", "payload"]),
        (#"{"eventType":"a.b","payload":"text"}"#, ["body", "payload"]),
        (#"{"eventType":"a b","payload":{}}"#, ["body", "eventType"]),
        (#"{"payload":{}}"#, ["body", "eventType"]),
        (#"{"eventType":"a.b"}"#, ["body", "payload"]),
        (#"{"eventType":"a.b","payload":{},"eventId":"msg_x"}"#, ["body", "eventId"]),
        (#"{"eventType":"a.b","payload":{},"channels":["1","2","3","4","5","6"]}"#, ["body", "channels"]),
        (#"{"eventType":"a.b","payload":{},"payloadRetentionPeriod":1}"#, ["body", "payloadRetentionPeriod"]),
    ])
    func invalidMessagesAreRejected(body: String, loc: [String]) async throws {
        try await Self.withApp { api, _ in
            let response = try await api.request(.post, "/api/v1/app/shop/msg", body: body)
            #expect(response.status == 422)
            #expect(response.json?["detail"]?[0]?["loc"] == .array(loc.map(JSONValue.string)))
        }
    }

    @Test func eventIdIsUniqueAndAddressesTheMessage() async throws {
        try await Self.withApp { api, _ in
            let first = try await api.request(.post, "/api/v1/app/shop/msg", body: #"{"eventType":"a.b","payload":{},"eventId":"evt-1"}"#)
            #expect(first.status == 202)
            let again = try await api.request(.post, "/api/v1/app/shop/msg", body: #"{"eventType":"a.b","payload":{},"eventId":"evt-1"}"#)
            #expect(again.status == 409)
            #expect(try await api.request(.get, "/api/v1/app/shop/msg/evt-1").json?["id"] == first.json?["id"])
        }
    }

    @Test func withContentFalseKeepsThePayloadKey() async throws {
        try await Self.withApp { api, _ in
            let created = try await api.request(.post, "/api/v1/app/shop/msg?with_content=false", body: #"{"eventType":"a.b","payload":{"k":1}}"#)
            #expect(created.json?["payload"] == .object([:]))
            let id = try #require(created.json?["id"]?.string)
            #expect(try await api.request(.get, "/api/v1/app/shop/msg/\(id)").json?["payload"]?["k"]?.int == 1)
            #expect(try await api.request(.get, "/api/v1/app/shop/msg/\(id)?with_content=false").json?["payload"] == .object([:]))
            #expect(try await api.request(.delete, "/api/v1/app/shop/msg/\(id)/content").status == 204)
            #expect(try await api.request(.get, "/api/v1/app/shop/msg/\(id)").json?["payload"] == .object([:]))
        }
    }

    @Test func listFiltersByEventTypeChannelAndTime() async throws {
        try await Self.withApp { api, _ in
            let bodies = [
                #"{"eventType":"a.one","payload":{},"channels":["eu"]}"#,
                #"{"eventType":"a.two","payload":{},"channels":["us"]}"#,
                #"{"eventType":"a.three","payload":{}}"#,
            ]
            var ids: [String] = []
            for body in bodies {
                ids.append(try #require(try await api.request(.post, "/api/v1/app/shop/msg", body: body).json?["id"]?.string))
            }
            func listed(_ query: String) async throws -> [String] {
                try await api.request(.get, "/api/v1/app/shop/msg\(query)").json?["data"]?.arrayValue?.compactMap { $0["id"]?.string } ?? []
            }
            #expect(try await listed("") == ids.reversed())
            #expect(try await listed("?event_types=a.one%2Ca.three") == [ids[2], ids[0]])
            #expect(try await listed("?event_types=a.one&event_types=a.two") == [ids[1], ids[0]])
            #expect(try await listed("?event_types[]=a.two") == [ids[1]])
            #expect(try await listed("?channel=eu") == [ids[0]])
            #expect(try await listed("?limit=1&iterator=\(ids[2])") == [ids[1]])
            #expect(try await listed("?before=2000-01-01T00:00:00Z").isEmpty)
            #expect(try await listed("?after=2000-01-01T00%3A00%3A00%2B00%3A00") == ids.reversed())
            #expect(try await listed("?after=2000-01-01T00:00:00.123456") == ids.reversed())
            #expect(try await api.request(.get, "/api/v1/app/shop/msg?before=yesterday").status == 422)
        }
    }

    @Test func embeddedApplicationIsCreatedWhenMissing() async throws {
        try await Self.withApp { api, _ in
            let created = try await api.request(
                .post,
                "/api/v1/app/lazy/msg",
                body: #"{"eventType":"a.b","payload":{},"application":{"name":"Lazy","uid":"lazy"}}"#
            )
            #expect(created.status == 202)
            #expect(try await api.request(.get, "/api/v1/app/lazy").json?["name"]?.string == "Lazy")
            let mismatch = try await api.request(
                .post,
                "/api/v1/app/other/msg",
                body: #"{"eventType":"a.b","payload":{},"application":{"name":"X","uid":"nope"}}"#
            )
            #expect(mismatch.status == 422)
            #expect(mismatch.json?["detail"]?[0]?["type"]?.string == "application_uid_mismatch")
            #expect(try await api.request(.post, "/api/v1/app/absent/msg", body: #"{"eventType":"a.b","payload":{}}"#).status == 404)
        }
    }
}
