import HeraldAPI
import HeraldCore
import HeraldTesting
import Testing

@Suite struct MetricsRouteTests {
    static let exposition = MetricsExposition { Array("herald_messages_accepted_total 3\n".utf8) }

    @Test func metricsOnTheAPIPortNeedAnOrgToken() async throws {
        let harness = try await APIHarness(metricsExposition: Self.exposition)
        let appToken = try await harness.environment.tokens.appToken(
            orgID: APIHarness.orgID,
            appID: IDPrefix.application.makeID(timestampMs: Timestamp.now().milliseconds),
            featureFlags: []
        )
        try await harness.run { api in
            let served = try await api.request(.get, "/metrics")
            #expect(served.status == 200)
            #expect(served.contentType == "text/plain; version=0.0.4; charset=utf-8")
            #expect(String(decoding: served.body, as: UTF8.self) == "herald_messages_accepted_total 3\n")
            #expect(try await api.request(.get, "/metrics", auth: .none).status == 401)
            #expect(try await api.request(.get, "/metrics", auth: .bearer("not-a-token")).status == 401)
            // An app token is a customer's portal: counts of every tenant are not theirs.
            let portal = try await api.request(.get, "/metrics", auth: .bearer(appToken))
            #expect(portal.status == 403, "\(String(decoding: portal.body, as: UTF8.self))")
            // Another organisation is a tenant as well.
            let stranger = try await harness.token(org: "org_2Zb9mFhQJt5rk6LYzGw2Rnm3hXa")
            #expect(try await api.request(.get, "/metrics", auth: .bearer(stranger)).status == 403)
        }
    }

    @Test func withoutAnExporterThereIsNoMetricsRoute() async throws {
        try await APIHarness().run { api in
            let response = try await api.request(.get, "/metrics")
            #expect(response.status == 404)
        }
    }
}
