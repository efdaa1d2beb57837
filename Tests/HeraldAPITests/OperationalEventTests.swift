import HeraldCore
import HeraldTesting
import Testing

@Suite struct OperationalEventTests {
    @Test func endpointChangesAreQueuedForTheOperator() async throws {
        let harness = try await APIHarness(operationalURL: "https://operator.example/hooks")
        try await harness.run { api in
            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"Shop","uid":"shop"}"#)
            let created = try await api.request(.post, "/api/v1/app/shop/endpoint", body: #"{"url":"https://a.example","uid":"main"}"#)
            let id = try #require(created.json?["id"]?.string)
            _ = try await api.request(.patch, "/api/v1/app/shop/endpoint/main", body: #"{"description":"x"}"#)
            _ = try await api.request(.post, "/api/v1/app/shop/endpoint/main/secret/rotate", body: "{}")
            _ = try await api.request(.delete, "/api/v1/app/shop/endpoint/main")

            let management = try #require(
                try await harness.store.application(orgID: OperationalWebhooks.managementOrgID, idOrUID: "operational-webhooks")
            )
            let window = ListWindow.idRange(prefix: .message, before: nil, after: nil, page: PageRequest(order: .ascending), now: .now())
            let messages = try await harness.store.listMessages(
                appID: management.id,
                query: MessageQuery(page: PageRequest(limit: 250, order: .ascending), idRange: window)
            )
            #expect(messages.items.map(\.eventType) == ["endpoint.created", "endpoint.updated", "endpoint.updated", "endpoint.deleted"])
            let first = try #require(messages.items.first?.payload.flatMap { JSONValue(bytes: $0) })
            #expect(first["data"]?["endpointId"]?.string == id)
            #expect(first["data"]?["endpointUid"]?.string == "main")
            #expect(first["data"]?["appUid"]?.string == "shop")
            #expect(first["data"]?["orgId"]?.string == APIHarness.orgID)
        }
    }
}
