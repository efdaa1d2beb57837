import HTTPTypes
import HeraldAPI
import HeraldTesting
import Testing

@Suite struct RequestIDTests {
    static let header = HTTPField.Name("x-request-id")!

    @Test func aSaneRequestIDIsEchoedAndAnyOtherReplaced() async throws {
        try await APIHarness().run { api in
            let echoed = try await api.request(.get, "/api/v1/app", headers: [Self.header: "trace-42:abc/DEF=="])
            #expect(echoed.headers[Self.header] == "trace-42:abc/DEF==")
            let generated = try await api.request(.get, "/api/v1/app")
            let id = try #require(generated.headers[Self.header])
            #expect(id.hasPrefix("req_") && id.count == 36)
            #expect(try await api.request(.get, "/api/v1/app").headers[Self.header] != id)
            for hostile in ["has space", String(repeating: "a", count: 129), "quote\"d", "new\u{7F}line", "req_posing"] {
                let replaced = try await api.request(.get, "/api/v1/app", headers: [Self.header: hostile])
                #expect(replaced.headers[Self.header]?.hasPrefix("req_") == true)
            }
        }
    }

    @Test func errorsCarryTheRequestIDToo() async throws {
        try await APIHarness().run { api in
            let missing = try await api.request(.get, "/api/v1/app/app_nope", headers: [Self.header: "lost-1"])
            #expect(missing.status == 404 && missing.headers[Self.header] == "lost-1")
            let unauthenticated = try await api.request(.get, "/api/v1/app", auth: .none, headers: [Self.header: "anon-1"])
            #expect(unauthenticated.status == 401 && unauthenticated.headers[Self.header] == "anon-1")
        }
    }
}
