import HeraldTesting
import Testing

@Suite struct ApplicationRouteTests {
    @Test func createGetPatchPutDelete() async throws {
        try await APIHarness().run { api in
            let created = try await api.request(.post, "/api/v1/app", body: #"{"name":"Acme","uid":"acme","metadata":{"k":"v"}}"#)
            #expect(created.status == 201)
            let id = try #require(created.json?["id"]?.string)
            #expect(id.hasPrefix("app_") && id.count == 31)
            #expect(created.json?["metadata"]?["k"]?.string == "v")
            #expect(created.json?["createdAt"]?.string?.hasSuffix("Z") == true)

            #expect(try await api.request(.get, "/api/v1/app/acme").json?["id"]?.string == id)
            #expect(try await api.request(.get, "/api/v1/app/\(id)/").json?["uid"]?.string == "acme")

            let patched = try await api.request(.patch, "/api/v1/app/acme", body: #"{"name":"Acme Corp","uid":null}"#)
            #expect(patched.status == 200)
            #expect(patched.json?["name"]?.string == "Acme Corp")
            #expect(patched.json?["uid"] == nil)
            #expect(patched.json?["metadata"]?["k"]?.string == "v")

            let put = try await api.request(.put, "/api/v1/app/\(id)", body: #"{"name":"Replaced"}"#)
            #expect(put.status == 200)
            #expect(put.json?["metadata"] == .object([:]))

            let upserted = try await api.request(.put, "/api/v1/app/newcomer", body: #"{"name":"New","uid":"newcomer"}"#)
            #expect(upserted.status == 201)

            #expect(try await api.request(.delete, "/api/v1/app/\(id)").status == 204)
            let gone = try await api.request(.get, "/api/v1/app/\(id)")
            #expect(gone.status == 404)
            #expect(gone.json?["code"]?.string == "not_found")
        }
    }

    @Test func uidIsUniquePerOrgUntilDeleted() async throws {
        try await APIHarness().run { api in
            #expect(try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"same"}"#).status == 201)
            let duplicate = try await api.request(.post, "/api/v1/app", body: #"{"name":"B","uid":"same"}"#)
            #expect(duplicate.status == 409)
            #expect(duplicate.json?["code"]?.string == "conflict")
            let existing = try await api.request(.post, "/api/v1/app?get_if_exists=true", body: #"{"name":"B","uid":"same"}"#)
            #expect(existing.status == 200)
            #expect(existing.json?["name"]?.string == "A")
            #expect(try await api.request(.delete, "/api/v1/app/same").status == 204)
            #expect(try await api.request(.post, "/api/v1/app", body: #"{"name":"C","uid":"same"}"#).status == 201)
        }
    }

    @Test(arguments: [
        (#"{"uid":"x"}"#, "name"),
        (#"{"name":""}"#, "name"),
        (#"{"name":"A","uid":"app_reserved"}"#, "uid"),
        (#"{"name":"A","uid":"has space"}"#, "uid"),
        (#"{"name":"A","throttleRate":0}"#, "throttleRate"),
        (#"{"name":5}"#, "name"),
    ])
    func invalidBodiesAreRejectedWithTheFieldNamed(body: String, field: String) async throws {
        try await APIHarness().run { api in
            let response = try await api.request(.post, "/api/v1/app", body: body)
            #expect(response.status == 422)
            #expect(response.json?["detail"]?[0]?["loc"] == .array([.string("body"), .string(field)]))
        }
    }

    @Test func listsPageForwardAndBackward() async throws {
        try await APIHarness().run { api in
            var ids: [String] = []
            for index in 0..<5 {
                let response = try await api.request(.post, "/api/v1/app", body: #"{"name":"app \#(index)"}"#)
                ids.append(try #require(response.json?["id"]?.string))
            }
            let first = try await api.request(.get, "/api/v1/app?limit=2")
            #expect(first.json?["data"]?.arrayValue?.compactMap { $0["id"]?.string } == Array(ids[0..<2]))
            #expect(first.json?["done"]?.bool == false)
            #expect(first.json?["iterator"]?.string == ids[1])
            #expect(first.json?["prevIterator"]?.string == "-" + ids[0])

            let second = try await api.request(.get, "/api/v1/app?limit=2&iterator=\(ids[1])")
            #expect(second.json?["data"]?.arrayValue?.compactMap { $0["id"]?.string } == Array(ids[2..<4]))
            let back = try await api.request(.get, "/api/v1/app?limit=2&iterator=-\(ids[2])")
            #expect(back.json?["data"]?.arrayValue?.compactMap { $0["id"]?.string } == Array(ids[0..<2]))

            let last = try await api.request(.get, "/api/v1/app?limit=2&iterator=\(ids[3])")
            #expect(last.json?["done"]?.bool == true)
            let descending = try await api.request(.get, "/api/v1/app?order=descending&limit=250")
            #expect(descending.json?["data"]?.arrayValue?.compactMap { $0["id"]?.string } == ids.reversed())

            let empty = try await api.request(.get, "/api/v1/app?iterator=\(ids[4])")
            #expect(empty.json?["data"] == .array([]))
            #expect(empty.json?["iterator"] == .null)
            #expect(empty.json?["done"]?.bool == true)

            #expect(try await api.request(.get, "/api/v1/app?limit=251").status == 422)
            #expect(try await api.request(.get, "/api/v1/app?limit=0").status == 422)
            #expect(try await api.request(.get, "/api/v1/app?limit=abc").status == 422)
            #expect(try await api.request(.get, "/api/v1/app?order=sideways").status == 422)
            #expect(try await api.request(.get, "/api/v1/app?unknown=1").status == 200)
        }
    }
}
