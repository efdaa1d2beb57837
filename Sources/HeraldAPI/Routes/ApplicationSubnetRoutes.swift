import HeraldCore
import Hummingbird

/// `/app/{app_id}/allowed-subnets` (a Herald extension): private networks one application's endpoints may be reached
/// in — an inbound source's internal services, say — within what the operator made grantable
/// (`HERALD_GRANTABLE_SUBNETS`). Every other application stays behind the SSRF guard. Org tokens only: opening a
/// private network is the integrating team's decision, never its customer's.
struct ApplicationSubnetRoutes {
    let environment: APIEnvironment

    static let maxSubnets = 32

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app/:app_id/allowed-subnets", get),
            RouteSpec(.put, "app/:app_id/allowed-subnets", set),
        ]
    }

    @Sendable func get(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        _ = try context.requireOrgToken()
        let application = try await environment.application(context)
        return try JSONResponse.make(out(application.allowedSubnets))
    }

    @Sendable func set(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let orgID = try context.requireOrgToken()
        let application = try await environment.application(context)
        let input = try await environment.decode(AllowedSubnetsIn.self, from: request)
        guard input.allowedSubnets.count <= Self.maxSubnets else {
            throw HeraldError.validation(loc: ["body", "allowedSubnets"], "must have at most \(Self.maxSubnets) items")
        }
        let policy = environment.settings.destinationPolicy
        var subnets: [IPNetwork] = []
        var issues: [ValidationIssue] = []
        for (index, text) in input.allowedSubnets.enumerated() {
            let loc = ["body", "allowedSubnets", String(index)]
            guard let subnet = IPNetwork(text) else {
                issues.append(ValidationIssue(loc: loc, msg: "must be a CIDR such as 10.1.0.0/16"))
                continue
            }
            guard policy.canGrant(subnet) else {
                issues.append(ValidationIssue(loc: loc, msg: "must lie inside a network the operator made grantable (HERALD_GRANTABLE_SUBNETS)"))
                continue
            }
            subnets.append(subnet)
        }
        if !issues.isEmpty { throw HeraldError.validation(issues) }
        try await environment.store.setAllowedSubnets(orgID: orgID, appID: application.id, subnets: subnets)
        await environment.changed(.applications)
        return try JSONResponse.make(out(subnets))
    }

    private func out(_ subnets: [IPNetwork]) -> AllowedSubnetsOut {
        AllowedSubnetsOut(
            allowedSubnets: subnets.map(\.description),
            grantableSubnets: environment.settings.destinationPolicy.grantableSubnets.map(\.description)
        )
    }
}

struct AllowedSubnetsIn: Decodable {
    var allowedSubnets: [String]
}

struct AllowedSubnetsOut: Encodable {
    var allowedSubnets: [String]
    var grantableSubnets: [String]
}
