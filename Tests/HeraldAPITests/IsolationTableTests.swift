import HeraldAPI
import HeraldCore
import HeraldTesting
import Testing

/// Walks every route with every kind of bad credential and checks that nothing of another tenant leaks.
@Suite struct IsolationTableTests {
    /// Path parameters filled with the victim's real ids, so a leak would be a real one.
    struct Victim: Sendable {
        var appID = ""
        var endpointID = ""
        var messageID = ""
        var sinkID = ""
        var attemptID = "atmpt_3Mm2I7N1z9YGI5LgUGpVqoAuPDY"
        var eventType = "victim.event"

        func fill(_ path: String) -> String {
            HeraldRouter.apiPrefix + "/"
                + path.split(separator: "/").map { segment -> String in
                    switch segment {
                    case ":app_id": return appID
                    case ":endpoint_id": return endpointID
                    case ":msg_id": return messageID
                    case ":attempt_id": return attemptID
                    case ":sink_id": return sinkID
                    case ":consumer_id": return "victim-consumer"
                    case ":event_type_name": return eventType
                    default: return String(segment)
                    }
                }.joined(separator: "/")
        }

        var secrets: [String] { [appID, endpointID, sinkID, messageID, "victim-uid", "victim payload"] }
    }

    static func prepareVictim(_ api: APIClient) async throws -> Victim {
        var victim = Victim()
        victim.appID = try #require(try await api.request(.post, "/api/v1/app", body: #"{"name":"Victim","uid":"victim-uid"}"#).json?["id"]?.string)
        // Event types are the organisation's catalogue: app tokens of the same org may read them, so they hold no secret.
        _ = try await api.request(.post, "/api/v1/event-type", body: #"{"name":"victim.event","description":"catalogue entry"}"#)
        victim.endpointID = try #require(
            try await api.request(.post, "/api/v1/app/\(victim.appID)/endpoint", body: #"{"url":"https://victim.example"}"#).json?["id"]?.string
        )
        victim.sinkID = try #require(
            try await api.request(.post, "/api/v1/app/\(victim.appID)/endpoint", body: #"{"url":"poller://"}"#).json?["id"]?.string
        )
        victim.messageID = try #require(
            try await api.request(.post, "/api/v1/app/\(victim.appID)/msg", body: #"{"eventType":"victim.event","payload":{"v":"victim payload"}}"#)
                .json?["id"]?.string
        )
        return victim
    }

    static let body =
        #"{"name":"x","description":"d","url":"https://x.example","eventType":"victim.event","payload":{},"since":"2026-01-01T00:00:00Z","headers":{}}"#

    @Test func everyRouteRefusesBadTokensAndOtherTenants() async throws {
        let harness = try await APIHarness()
        let routes = HeraldRouter.routeTable(environment: harness.environment).filter { !$0.path.hasPrefix("health") && $0.path != "openapi.json" }
        let secret = APIHarness.secret
        let org = APIHarness.orgID
        let unauthenticated: [(String, Credentials)] = [
            ("none", .none),
            ("malformed", .bearer("abc.def")),
            ("alg none", .bearer(TokenForge.make(alg: "none", claims: ["sub": org], secret: secret))),
            ("HS512", .bearer(TokenForge.make(alg: "HS512", claims: ["sub": org], secret: secret))),
            ("expired", .bearer(TokenForge.make(claims: ["sub": org, "exp": TokenForge.now() - 10], secret: secret))),
        ]
        let stranger = Credentials.bearer(try await harness.token(org: "org_2stranger000000000000000"))
        try await harness.run { api in
            let victim = try await Self.prepareVictim(api)
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"Other","uid":"other"}"#)
            let otherApp = try await api.request(.post, "/api/v1/auth/app-portal-access/other", body: "{}")
            let otherAppToken = Credentials.bearer(try #require(otherApp.json?["token"]?.string))
            var checked = 0
            for route in routes {
                let path = victim.fill(route.path)
                let body = route.method == .get || route.method == .delete ? nil : Self.body
                for (name, credentials) in unauthenticated {
                    let response = try await api.request(route.method, path, body: body, auth: credentials)
                    #expect(response.status == 401, "\(name): \(route.method) \(path) → \(response.status)")
                    #expect(response.contentType == "application/json")
                    checked += 1
                }
                // The live stream never ends, and it is scoped by the token rather than by the path: checked in its own test.
                let tenants = route.path == "live" ? [] : [("another org", stranger), ("another app", otherAppToken)]
                for (name, credentials) in tenants {
                    let response = try await api.request(route.method, path, body: body, auth: credentials)
                    let text = String(decoding: response.body, as: UTF8.self)
                    #expect(!victim.secrets.contains { text.contains($0) && !path.contains($0) }, "\(name): \(route.method) \(path) leaked \(text)")
                    if route.path.contains(":app_id") {
                        // PUT upserts: another org's PUT creates an application of its own, never touching the victim's.
                        let allowed = route.method == .put && name == "another org" ? [201, 403, 404] : [403, 404]
                        #expect(allowed.contains(response.status), "\(name): \(route.method) \(path) → \(response.status)")
                        #expect(response.contentType == "application/json")
                    }
                    checked += 1
                }
            }
            #expect(checked == routes.count * 7 - 2)
            let untouched = try await api.request(.get, "/api/v1/app/\(victim.appID)")
            #expect(untouched.json?["name"]?.string == "Victim")
            #expect(untouched.json?["uid"]?.string == "victim-uid")
        }
    }
}
