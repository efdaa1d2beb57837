import HeraldCore
import Hummingbird

/// `/app/{app_id}/endpoint/{endpoint_id}/policy`: how Herald delivers to one endpoint (a Herald extension).
struct EndpointPolicyRoutes {
    let environment: APIEnvironment

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app/:app_id/endpoint/:endpoint_id/policy", getPolicy),
            RouteSpec(.put, "app/:app_id/endpoint/:endpoint_id/policy", setPolicy),
        ]
    }

    @Sendable func getPolicy(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let endpoint = try await environment.endpoint(context, in: application)
        return try await policyOut(endpoint)
    }

    /// Replaces the whole policy: a field left out goes back to the server's setting.
    @Sendable func setPolicy(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkEndpointWrite(context, in: application)
        var endpoint = try await environment.endpoint(context, in: application)
        let input = try EndpointPolicyIn(try await environment.decode(JSONValue.self, from: request))
        if input.policy.isOrdered != endpoint.policy.isOrdered {
            // Switching ordering re-queues the endpoint's waiting deliveries: as costly as a recover, and limited with them.
            try environment.take(environment.resendRate, for: application, cost: TenantLimits.recoverCost, what: "recovers and ordering switches")
        }
        endpoint.policy = input.policy
        endpoint.updatedAt = environment.clock.now()
        environment.markWriter(of: &endpoint, context)
        try await environment.store.updateEndpoint(endpoint)
        await environment.emit(.endpointUpdated, endpoint: endpoint, in: application, context: context)
        return try await policyOut(endpoint)
    }

    private func policyOut(_ endpoint: Endpoint) async throws -> Response {
        let gate = try await environment.store.deliveryGate(key: endpoint.id)
        return try JSONResponse.make(EndpointPolicyOut(endpoint.policy, settings: environment.settings, gate: gate, now: environment.clock.now()))
    }
}
