import Foundation
import HeraldClient
import HeraldTesting
import OpenAPIRuntime
import Testing

/// The generated client against a real `herald serve` process.
@Suite struct HeraldClientTests {
    @Test func managesApplicationsEndpointsAndMessagesOnARunningServer() async throws {
        let server = try await ServedHerald()
        defer { server.stop() }
        let receiver = LoopbackReceiver()
        try await receiver.run { base in
            let client = Client(serverURL: server.baseURL, token: server.token)

            let created = try await client.createApplication(body: .json(.init(name: "Acme", uid: "acme")))
            let application = try created.created.body.json
            #expect(application.name == "Acme")
            #expect(application.uid == "acme")
            #expect(application.id.hasPrefix("app_"))

            let fetched = try await client.getApplication(path: .init(appId: "acme")).ok.body.json
            #expect(fetched.id == application.id)
            let listed = try await client.listApplications().ok.body.json
            #expect(listed.data.map(\.id) == [application.id])

            _ = try await client.createEventType(body: .json(.init(description: "An invoice was paid", name: "invoice.paid"))).created
            let endpoint = try await client.createEndpoint(
                path: .init(appId: application.id),
                body: .json(.init(eventTypes: ["invoice.paid"], url: base + "/hooks"))
            ).created.body.json
            let secret = try await client.getEndpointSecret(path: .init(appId: application.id, endpointId: endpoint.id)).ok.body.json
            #expect(secret.key.hasPrefix("whsec_"))

            let message = try await client.createMessage(
                path: .init(appId: application.id),
                body: .json(.init(eventType: "invoice.paid", payload: try OpenAPIObjectContainer(unvalidatedValue: ["invoice": "inv_1"])))
            ).accepted.body.json
            #expect(message.eventType == "invoice.paid")
            let arrived = await receiver.waitFor(1, to: "/hooks")
            #expect(arrived.first?.header("webhook-id") == message.id)

            // Errors come back as the documented error responses, with the API's code.
            let missing = try await client.getApplication(path: .init(appId: "nobody"))
            guard case .clientError(let status, let error) = missing else {
                Issue.record("expected a 4xx answer, got \(missing)")
                return
            }
            #expect(status == 404)
            #expect(try error.body.json.code == "not_found")

            // A field the API refuses comes back as the validation error, field by field.
            let invalid = try await client.createMessage(
                path: .init(appId: application.id),
                body: .json(.init(eventType: "not a type!", payload: try OpenAPIObjectContainer(unvalidatedValue: [:])))
            )
            guard case .unprocessableContent(let validation) = invalid else {
                Issue.record("expected 422, got \(invalid)")
                return
            }
            #expect(try validation.body.json.detail.first?.loc.contains("eventType") == true)
        }
    }

    @Test func aWrongTokenIsRefused() async throws {
        let server = try await ServedHerald()
        defer { server.stop() }
        let client = Client(serverURL: server.baseURL, token: "not-a-token")
        let answer = try await client.listApplications()
        guard case .clientError(let status, _) = answer else {
            Issue.record("expected 401, got \(answer)")
            return
        }
        #expect(status == 401)
    }
}
