import HeraldTesting
import Testing

@Suite struct EventTypeRouteTests {
    @Test func lifecycleArchiveUnarchiveAndExpunge() async throws {
        try await APIHarness().run { api in
            let schema = #"{"1":{"type":"object","examples":[{"amount":5}]}}"#
            let created = try await api.request(
                .post,
                "/api/v1/event-type",
                body: #"{"name":"invoice.paid","description":"Paid","schemas":\#(schema)}"#
            )
            #expect(created.status == 201)
            #expect(created.json?["deprecated"]?.bool == false)
            #expect(created.json?["schemas"]?["1"]?["examples"]?[0]?["amount"]?.int == 5)

            let duplicate = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"invoice.paid","description":"x"}"#)
            #expect(duplicate.status == 409)
            #expect(duplicate.json?["code"]?.string == "event_type_exists")

            let listed = try await api.request(.get, "/api/v1/event-type")
            #expect(listed.json?["data"]?[0]?["schemas"] == nil)
            #expect(listed.json?["iterator"]?.string == "invoice.paid")
            let withContent = try await api.request(.get, "/api/v1/event-type?with_content=true")
            #expect(withContent.json?["data"]?[0]?["schemas"] != nil)

            #expect(try await api.request(.delete, "/api/v1/event-type/invoice.paid").status == 204)
            #expect(try await api.request(.get, "/api/v1/event-type").json?["data"] == .array([]))
            #expect(try await api.request(.get, "/api/v1/event-type?include_archived=true").json?["data"]?[0]?["archived"]?.bool == true)
            #expect(try await api.request(.get, "/api/v1/event-type/invoice.paid").json?["archived"]?.bool == true)

            let revived = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"invoice.paid","description":"Back"}"#)
            #expect(revived.status == 201)
            #expect(revived.json?["archived"]?.bool == false)

            #expect(try await api.request(.delete, "/api/v1/event-type/invoice.paid?expunge=true").status == 204)
            #expect(try await api.request(.get, "/api/v1/event-type/invoice.paid").status == 404)
            #expect(try await api.request(.delete, "/api/v1/event-type/invoice.paid").status == 404)
        }
    }

    @Test func putCreatesThenUpdatesAndPatchClears() async throws {
        try await APIHarness().run { api in
            let created = try await api.request(.put, "/api/v1/event-type/user.created", body: #"{"description":"New user","featureFlag":"beta"}"#)
            #expect(created.status == 201)
            #expect(created.json?["name"]?.string == "user.created")
            let updated = try await api.request(.put, "/api/v1/event-type/user.created", body: #"{"description":"Changed"}"#)
            #expect(updated.status == 200)
            #expect(updated.json?["featureFlag"] == nil)
            let patched = try await api.request(.patch, "/api/v1/event-type/user.created", body: #"{"deprecated":true}"#)
            #expect(patched.json?["deprecated"]?.bool == true)
            #expect(patched.json?["description"]?.string == "Changed")
            #expect(try await api.request(.put, "/api/v1/event-type/bad%20name", body: #"{"description":"x"}"#).status == 422)
        }
    }

    @Test func schemasMustBeObjects() async throws {
        try await APIHarness().run { api in
            let array = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"a.b","description":"d","schemas":{"1":[null]}}"#)
            #expect(array.status == 422)
            #expect(array.json?["detail"]?[0]?["loc"] == .array([.string("body"), .string("schemas"), .string("1")]))
            _ = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"a.b","description":"d"}"#)
            let patch = try await api.request(.patch, "/api/v1/event-type/a.b", body: #"{"schemas":{"2":"text"}}"#)
            #expect(patch.status == 422)
        }
    }

    @Test func listPagesByName() async throws {
        try await APIHarness().run { api in
            for name in ["c.one", "a.one", "b.one"] {
                #expect(try await api.request(.post, "/api/v1/event-type", body: #"{"name":"\#(name)","description":"d"}"#).status == 201)
            }
            let first = try await api.request(.get, "/api/v1/event-type?limit=2&order=descending")
            #expect(first.json?["data"]?.arrayValue?.compactMap { $0["name"]?.string } == ["a.one", "b.one"])
            let rest = try await api.request(.get, "/api/v1/event-type?limit=2&iterator=b.one")
            #expect(rest.json?["data"]?.arrayValue?.compactMap { $0["name"]?.string } == ["c.one"])
            #expect(rest.json?["done"]?.bool == true)
        }
    }
}
