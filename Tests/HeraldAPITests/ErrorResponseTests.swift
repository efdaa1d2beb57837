import HeraldAPI
import HeraldTesting
import Testing

@Suite struct ErrorResponseTests {
    @Test func unknownRoutesAndWrongMethodsAnswerJSON() async throws {
        try await APIHarness().run { api in
            let unknown = try await api.request(.get, "/api/v1/nowhere")
            #expect(unknown.status == 404)
            #expect(unknown.contentType == "application/json")
            #expect(unknown.json?["code"]?.string == "not_found")
            #expect(try await api.request(.get, "/elsewhere").json?["code"]?.string == "not_found")

            let wrongMethod = try await api.request(.delete, "/api/v1/app")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.json?["code"]?.string == "method_not_allowed")
            #expect(wrongMethod.headers[.allow] == "GET, HEAD, POST")
        }
    }

    @Test(arguments: ["{nope", "[1,2]", "\"text\"", "{\"name\": \"a\"", "\u{00}"])
    func malformedJSONIs422(body: String) async throws {
        try await APIHarness().run { api in
            let response = try await api.request(.post, "/api/v1/app", body: body)
            #expect(response.status == 422)
            #expect(response.json?["detail"]?[0]?["loc"]?[0]?.string == "body")
            #expect(try await api.request(.get, "/api/v1/health").status == 200)
        }
    }

    @Test func unknownFieldsAndTrailingSlashesAreTolerated() async throws {
        try await APIHarness().run { api in
            let response = try await api.request(.post, "/api/v1/app/", body: #"{"name":"A","tags":["x"],"somethingNew":{"a":1}}"#)
            #expect(response.status == 201)
            #expect(try await api.request(.get, "/api/v1/app/?with_msg=true&expanded_statuses=true").status == 200)
        }
    }

    @Test func oversizedBodiesAre413() async throws {
        try await APIHarness(settings: APISettings(maxBodyBytes: 2048)).run { api in
            let big = #"{"name":""# + String(repeating: "a", count: 4096) + #""}"#
            let response = try await api.request(.post, "/api/v1/app", body: big)
            #expect(response.status == 413)
            #expect(response.json?["code"]?.string == "payload_too_large")
        }
    }

    @Test func httpsOnlyRefusesPlainHTTPEndpoints() async throws {
        try await APIHarness(settings: APISettings(httpsOnly: true)).run { api in
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"a"}"#)
            #expect(try await api.request(.post, "/api/v1/app/a/endpoint", body: #"{"url":"http://x.example"}"#).status == 422)
            #expect(try await api.request(.post, "/api/v1/app/a/endpoint", body: #"{"url":"https://x.example"}"#).status == 201)
        }
    }

    @Test func corsPreflightMirrorsTheRequest() async throws {
        try await APIHarness().run { api in
            let response = try await api.request(
                .options,
                "/api/v1/app",
                auth: .none,
                headers: [
                    .origin: "https://dash.example", .accessControlRequestMethod: "POST",
                    .accessControlRequestHeaders: "authorization, idempotency-key",
                ]
            )
            #expect(response.status == 204)
            #expect(response.headers[.accessControlAllowOrigin] == "https://dash.example")
            #expect(response.headers[.accessControlAllowHeaders] == "authorization, idempotency-key")
            #expect(response.headers[.accessControlMaxAge] == "600")
        }
    }
}
