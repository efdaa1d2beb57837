import HeraldCore
import HeraldTesting
import Testing

@Suite struct EndpointRouteTests {
    static let app = "/api/v1/app/shop"

    static func withShop(_ body: @Sendable @escaping (APIClient) async throws -> Void) async throws {
        try await APIHarness().run { api in
            try #require(try await api.request(.post, "/api/v1/app", body: #"{"name":"Shop","uid":"shop"}"#).status == 201)
            try #require(
                try await api.request(.post, "/api/v1/event-type", body: #"{"name":"order.paid","description":"Paid"}"#).status == 201
            )
            try await body(api)
        }
    }

    @Test func createAppliesDefaultsAndGeneratesAWhsecSecret() async throws {
        try await Self.withShop { api in
            let created = try await api.request(.post, "\(Self.app)/endpoint", body: #"{"url":"https://example.com/hook"}"#)
            #expect(created.status == 201)
            #expect(created.json?["description"]?.string == "")
            #expect(created.json?["disabled"]?.bool == false)
            #expect(created.json?["metadata"] == .object([:]))
            let id = try #require(created.json?["id"]?.string)
            let secret = try #require(try await api.request(.get, "\(Self.app)/endpoint/\(id)/secret").json?["key"]?.string)
            #expect(secret.hasPrefix("whsec_"))
            #expect(EndpointSecret(parsing: secret) != nil)
        }
    }

    @Test(arguments: [
        (#"{"url":"ftp://example.com"}"#, ["body", "url"]),
        (#"{"url":"not a url"}"#, ["body", "url"]),
        (#"{"url":"https://example.com","eventTypes":["missing.type"]}"#, ["body", "eventTypes", "0"]),
        (#"{"url":"https://example.com","eventTypes":[]}"#, ["body", "eventTypes"]),
        (#"{"url":"https://example.com","channels":["a","b","c","d","e","f","g","h","i","j","k"]}"#, ["body", "channels"]),
        (#"{"url":"https://example.com","secret":"whsec_short"}"#, ["body", "secret"]),
        (#"{"url":"https://example.com","secret":"whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="}"#, ["body", "secret"]),
        (#"{"url":"https://example.com","uid":"ep_reserved"}"#, ["body", "uid"]),
        (#"{"description":"no url"}"#, ["body", "url"]),
    ])
    func invalidEndpointsAreRejected(body: String, loc: [String]) async throws {
        try await Self.withShop { api in
            let response = try await api.request(.post, "\(Self.app)/endpoint", body: body)
            #expect(response.status == 422)
            #expect(response.json?["detail"]?[0]?["loc"] == .array(loc.map(JSONValue.string)))
        }
    }

    @Test func suppliedSecretsAreKeptIncludingEd25519() async throws {
        try await Self.withShop { api in
            let hmac = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            let first = try await api.request(.post, "\(Self.app)/endpoint", body: #"{"url":"https://a.example","uid":"a","secret":"\#(hmac)"}"#)
            #expect(first.status == 201)
            #expect(try await api.request(.get, "\(Self.app)/endpoint/a/secret").json?["key"]?.string == hmac)

            let whsk = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="
            let second = try await api.request(.post, "\(Self.app)/endpoint", body: #"{"url":"https://b.example","uid":"b","secret":"\#(whsk)"}"#)
            #expect(second.status == 201)
            #expect(try await api.request(.get, "\(Self.app)/endpoint/b/secret").json?["key"]?.string == whsk)
        }
    }

    @Test func patchClearsWithNullAndKeepsAbsentFields() async throws {
        try await Self.withShop { api in
            let body = #"{"url":"https://example.com","uid":"main","eventTypes":["order.paid"],"channels":["eu"],"description":"d"}"#
            #expect(try await api.request(.post, "\(Self.app)/endpoint", body: body).status == 201)
            let patched = try await api.request(.patch, "\(Self.app)/endpoint/main", body: #"{"channels":null,"disabled":true}"#)
            #expect(patched.status == 200)
            #expect(patched.json?["channels"] == nil)
            #expect(patched.json?["eventTypes"] == .array([.string("order.paid")]))
            #expect(patched.json?["description"]?.string == "d")
            #expect(patched.json?["disabled"]?.bool == true)
            let badType = try await api.request(.patch, "\(Self.app)/endpoint/main", body: #"{"eventTypes":["nope"]}"#)
            #expect(badType.status == 422)
        }
    }

    @Test func putUpdatesOrCreates() async throws {
        try await Self.withShop { api in
            let created = try await api.request(.put, "\(Self.app)/endpoint/fresh", body: #"{"url":"https://a.example","uid":"fresh"}"#)
            #expect(created.status == 201)
            let updated = try await api.request(.put, "\(Self.app)/endpoint/fresh", body: #"{"url":"https://b.example","uid":"fresh"}"#)
            #expect(updated.status == 200)
            #expect(updated.json?["url"]?.string == "https://b.example")
            #expect(updated.json?["id"] == created.json?["id"])
        }
    }

    @Test func rotationKeepsOldKeysForTheGracePeriodUpToTen() async throws {
        try await Self.withShop { api in
            #expect(try await api.request(.post, "\(Self.app)/endpoint", body: #"{"url":"https://a.example","uid":"r"}"#).status == 201)
            let rotated = try await api.request(.post, "\(Self.app)/endpoint/r/secret/rotate", body: "{}")
            #expect(rotated.status == 200)
            let key = try #require(rotated.json?["key"]?.string)
            #expect(try await api.request(.get, "\(Self.app)/endpoint/r/secret").json?["key"]?.string == key)

            let chosen = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
            let explicit = try await api.request(.post, "\(Self.app)/endpoint/r/secret/rotate", body: #"{"key":"\#(chosen)"}"#)
            #expect(explicit.json?["key"]?.string == chosen)
            for _ in 0..<8 {
                #expect(try await api.request(.post, "\(Self.app)/endpoint/r/secret/rotate").status == 200)
            }
            let overLimit = try await api.request(.post, "\(Self.app)/endpoint/r/secret/rotate", body: "{}")
            #expect(overLimit.status == 400)
            #expect(overLimit.json?["code"]?.string == "limit_reached")
            let noGrace = try await api.request(.post, "\(Self.app)/endpoint/r/secret/rotate", body: #"{"gracePeriodSeconds":0}"#)
            #expect(noGrace.status == 200)
            let badGrace = try await api.request(.post, "\(Self.app)/endpoint/r/secret/rotate", body: #"{"gracePeriodSeconds":604801}"#)
            #expect(badGrace.status == 422)
        }
    }

    @Test func headersHideSensitiveValuesAndRefuseForbiddenNames() async throws {
        try await Self.withShop { api in
            #expect(try await api.request(.post, "\(Self.app)/endpoint", body: #"{"url":"https://a.example","uid":"h"}"#).status == 201)
            let set = try await api.request(
                .put,
                "\(Self.app)/endpoint/h/headers",
                body: #"{"headers":{"X-Tenant":"t1","Authorization":"Bearer x"}}"#
            )
            #expect(set.status == 204)
            let read = try await api.request(.get, "\(Self.app)/endpoint/h/headers")
            #expect(read.json?["headers"] == .object(["X-Tenant": .string("t1")]))
            #expect(read.json?["sensitive"] == .array([.string("Authorization")]))

            #expect(
                try await api.request(.patch, "\(Self.app)/endpoint/h/headers", body: #"{"headers":{"x-tenant":null,"X-Two":"2"}}"#).status == 204
            )
            #expect(try await api.request(.get, "\(Self.app)/endpoint/h/headers").json?["headers"] == .object(["X-Two": .string("2")]))

            for name in ["Content-Type", "svix-id", "webhook-signature", "X-Amz-Date", "Bad Name"] {
                let response = try await api.request(.put, "\(Self.app)/endpoint/h/headers", body: #"{"headers":{"\#(name)":"v"}}"#)
                #expect(response.status == 422, "header \(name)")
            }
        }
    }

    @Test func listsNewestFirstByDefaultAndDeleteHides() async throws {
        try await Self.withShop { api in
            var ids: [String] = []
            for index in 0..<3 {
                let response = try await api.request(.post, "\(Self.app)/endpoint", body: #"{"url":"https://\#(index).example"}"#)
                ids.append(try #require(response.json?["id"]?.string))
            }
            let listed = try await api.request(.get, "\(Self.app)/endpoint")
            #expect(listed.json?["data"]?.arrayValue?.compactMap { $0["id"]?.string } == ids.reversed())
            let ascending = try await api.request(.get, "\(Self.app)/endpoint?order=ascending")
            #expect(ascending.json?["data"]?.arrayValue?.compactMap { $0["id"]?.string } == ids)
            #expect(try await api.request(.delete, "\(Self.app)/endpoint/\(ids[1])").status == 204)
            #expect(try await api.request(.get, "\(Self.app)/endpoint/\(ids[1])").status == 404)
            #expect(try await api.request(.get, "\(Self.app)/endpoint").json?["data"]?.arrayValue?.count == 2)
            #expect(try await api.request(.get, "/api/v1/app/nope/endpoint").status == 404)
        }
    }
}
