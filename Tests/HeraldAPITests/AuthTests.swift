import HeraldTesting
import Testing

@Suite struct AuthTests {
    static let secret = APIHarness.secret
    static let org = APIHarness.orgID

    static let rejectedTokens: [(String, Credentials)] = [
        ("no header", .none),
        ("not bearer", .raw("Basic abc")),
        ("garbage", .bearer("not.a.jwt")),
        ("alg none", .bearer(TokenForge.make(alg: "none", claims: ["sub": org], secret: secret))),
        ("HS512", .bearer(TokenForge.make(alg: "HS512", claims: ["sub": org], secret: secret))),
        ("wrong secret", .bearer(TokenForge.make(claims: ["sub": org], secret: "another-secret-0123456789abcdef0123"))),
        ("expired", .bearer(TokenForge.make(claims: ["sub": org, "exp": TokenForge.now() - 60], secret: secret))),
        ("not yet valid", .bearer(TokenForge.make(claims: ["sub": org, "nbf": TokenForge.now() + 3600], secret: secret))),
        ("no sub", .bearer(TokenForge.make(claims: ["iss": "x"], secret: secret))),
        ("the secret itself", .bearer(secret)),
    ]

    @Test(arguments: rejectedTokens)
    func badTokensGet401WithJSON(name: String, credentials: Credentials) async throws {
        try await APIHarness().run { api in
            let response = try await api.request(.get, "/api/v1/app", auth: credentials)
            #expect(response.status == 401, "\(name)")
            #expect(response.contentType == "application/json")
            #expect(response.json?["code"]?.string == "authentication_failed")
        }
    }

    @Test func tokensFromAnyJWTLibraryWork() async throws {
        try await APIHarness().run { api in
            let plain = Credentials.bearer(
                TokenForge.make(claims: ["sub": Self.org, "iat": TokenForge.now(), "exp": TokenForge.now() + 60], secret: Self.secret)
            )
            let fractional = Credentials.bearer(
                TokenForge.make(claims: ["sub": Self.org, "exp": Double(TokenForge.now()) + 60.5], secret: Self.secret)
            )
            let notAnOrg = Credentials.bearer(TokenForge.make(claims: ["sub": "user_1"], secret: Self.secret))
            #expect(try await api.request(.get, "/api/v1/app", auth: plain).status == 200)
            #expect(try await api.request(.get, "/api/v1/app", auth: fractional).status == 200)
            let refused = try await api.request(.get, "/api/v1/app", auth: notAnOrg)
            #expect(refused.status == 400)
            #expect(refused.json?["code"]?.string == "bad_token")
        }
    }

    @Test func organisationsAreIsolated() async throws {
        let harness = try await APIHarness()
        let stranger = Credentials.bearer(try await harness.token(org: "org_2stranger000000000000000"))
        try await harness.run { api in
            let created = try await api.request(.post, "/api/v1/app", body: #"{"name":"Mine","uid":"mine"}"#)
            let id = try #require(created.json?["id"]?.string)
            #expect(try await api.request(.get, "/api/v1/app/\(id)", auth: stranger).status == 404)
            #expect(try await api.request(.get, "/api/v1/app/mine", auth: stranger).status == 404)
            #expect(try await api.request(.get, "/api/v1/app", auth: stranger).json?["data"] == .array([]))
            #expect(try await api.request(.post, "/api/v1/app/mine/msg", body: #"{"eventType":"a","payload":{}}"#, auth: stranger).status == 404)
            #expect(try await api.request(.post, "/api/v1/app", body: #"{"name":"Theirs","uid":"mine"}"#, auth: stranger).status == 201)
        }
    }

    @Test func appTokensReachOnlyTheirApplication() async throws {
        try await APIHarness().run { api in
            let mine = try #require(try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"a"}"#).json?["id"]?.string)
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"B","uid":"b"}"#)
            _ = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"public.event","description":"d"}"#)
            _ = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"beta.event","description":"d","featureFlag":"beta"}"#)
            let access = try await api.request(.post, "/api/v1/auth/app-portal-access/a", body: "{}")
            #expect(access.status == 200)
            let token = try #require(access.json?["token"]?.string)
            #expect(access.json?["url"]?.string?.hasSuffix("/portal#token=\(token)") == true)
            let app = Credentials.bearer(token)

            #expect(try await api.request(.get, "/api/v1/app/a", auth: app).json?["id"]?.string == mine)
            #expect(try await api.request(.get, "/api/v1/app/b", auth: app).status == 404)
            #expect(try await api.request(.post, "/api/v1/app/a/endpoint", body: #"{"url":"https://x.example"}"#, auth: app).status == 201)
            #expect(try await api.request(.get, "/api/v1/app/a/msg", auth: app).status == 200)
            for (method, path) in [
                ("GET", "/api/v1/app"), ("POST", "/api/v1/app/a/msg"), ("DELETE", "/api/v1/app/a"), ("POST", "/api/v1/event-type"),
            ] {
                let response = try await api.request(
                    .init(method)!,
                    path,
                    body: #"{"name":"x","description":"d","eventType":"a","payload":{}}"#,
                    auth: app
                )
                #expect(response.status == 403, "\(method) \(path)")
                #expect(response.json?["code"]?.string == "insufficient access")
            }
            let types = try await api.request(.get, "/api/v1/event-type", auth: app)
            #expect(types.json?["data"]?.arrayValue?.compactMap { $0["name"]?.string } == ["public.event"])
            #expect(try await api.request(.get, "/api/v1/event-type/beta.event", auth: app).status == 404)

            let beta = try await api.request(.post, "/api/v1/auth/app-portal-access/a", body: #"{"featureFlags":["beta"]}"#)
            let betaToken = Credentials.bearer(try #require(beta.json?["token"]?.string))
            #expect(try await api.request(.get, "/api/v1/event-type", auth: betaToken).json?["data"]?.arrayValue?.count == 2)
        }
    }

    @Test func logoutEndsOnlyTheCallingToken() async throws {
        try await APIHarness().run { api in
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"A","uid":"a"}"#)
            let first = try await api.request(.post, "/api/v1/auth/app-portal-access/a", body: "{}")
            let second = try await api.request(.post, "/api/v1/auth/app-portal-access/a", body: "{}")
            let portal = Credentials.bearer(try #require(first.json?["token"]?.string))
            let other = Credentials.bearer(try #require(second.json?["token"]?.string))
            let loggedOut = try await api.request(.post, "/api/v1/auth/logout", auth: portal)
            #expect(loggedOut.status == 204)
            let refused = try await api.request(.get, "/api/v1/app/a", auth: portal)
            #expect(refused.status == 401)
            let stillValid = try await api.request(.get, "/api/v1/app/a", auth: other)
            #expect(stillValid.status == 200)
            #expect(try await api.request(.get, "/api/v1/app").status == 200)
        }
    }

    @Test func publicRoutesNeedNoToken() async throws {
        try await APIHarness().run { api in
            let health = try await api.request(.get, "/api/v1/health", auth: .none)
            #expect(health.status == 200)
            #expect(health.json?["database"]?["status"]?.string == "ok")
            #expect(try await api.request(.get, "/api/v1/health/ping", auth: .none).status == 204)
            #expect(try await api.request(.head, "/api/v1/health", auth: .none).status == 200)
            #expect(try await api.request(.get, "/api/v1/openapi.json", auth: .none).status == 200)
        }
    }
}
