import HeraldCore
import Hummingbird

/// `/app/{app_id}/endpoint/{endpoint_id}/secret` and `/headers`: signing keys and custom headers.
struct EndpointSecretRoutes {
    let environment: APIEnvironment

    /// Grace period bounds for a rotated-out key, in seconds.
    static let gracePeriod = 0...604_800
    static let defaultGracePeriod = 86_400
    /// Most rotated-out keys that may still be valid at once.
    static let maxPreviousSecrets = 10

    var routes: [RouteSpec] {
        [
            RouteSpec(.get, "app/:app_id/endpoint/:endpoint_id/secret", getSecret),
            RouteSpec(.post, "app/:app_id/endpoint/:endpoint_id/secret/rotate", rotateSecret),
            RouteSpec(.get, "app/:app_id/endpoint/:endpoint_id/headers", getHeaders),
            RouteSpec(.put, "app/:app_id/endpoint/:endpoint_id/headers", setHeaders),
            RouteSpec(.patch, "app/:app_id/endpoint/:endpoint_id/headers", patchHeaders),
        ]
    }

    @Sendable func getSecret(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let endpoint = try await environment.endpoint(context, in: application)
        return try JSONResponse.make(EndpointSecretOut(key: endpoint.secret.description))
    }

    @Sendable func rotateSecret(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkEndpointWrite(context, in: application)
        var endpoint = try await environment.endpoint(context, in: application)
        let input = try await environment.decode(EndpointSecretRotateIn.self, from: request)
        let grace = input.gracePeriodSeconds ?? Self.defaultGracePeriod
        guard Self.gracePeriod.contains(grace) else {
            throw HeraldError.validation(loc: ["body", "gracePeriodSeconds"], "must be between 0 and 604800")
        }
        var newSecret = EndpointSecret.generate(environment.settings.defaultSecretKind)
        if let key = input.key {
            guard let parsed = EndpointSecret(parsing: key) else {
                throw HeraldError.validation([EndpointFilters.invalidSecretIssue(loc: ["body", "key"])])
            }
            newSecret = parsed
        }
        let now = environment.clock.now()
        var previous = endpoint.previousSecrets.filter { $0.expiresAt > now }
        if grace > 0 {
            previous.append(ExpiringSecret(secret: endpoint.secret, expiresAt: now.adding(seconds: Int64(grace))))
        }
        guard previous.count <= Self.maxPreviousSecrets else {
            throw HeraldError.badRequest(
                "At most \(Self.maxPreviousSecrets) previous secrets may be valid at once; wait for one to expire",
                code: "limit_reached"
            )
        }
        endpoint.previousSecrets = previous
        endpoint.secret = newSecret
        endpoint.updatedAt = now
        environment.markWriter(of: &endpoint, context)
        try await environment.store.updateEndpoint(endpoint)
        await environment.emit(.endpointUpdated, endpoint: endpoint, in: application, context: context)
        return try JSONResponse.make(EndpointSecretOut(key: newSecret.description))
    }

    @Sendable func getHeaders(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        let endpoint = try await environment.endpoint(context, in: application)
        return try JSONResponse.make(EndpointHeadersOut(endpoint.headers))
    }

    @Sendable func setHeaders(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkEndpointWrite(context, in: application)
        var endpoint = try await environment.endpoint(context, in: application)
        let input = try await environment.decode(EndpointHeadersIn.self, from: request)
        let issues = EndpointHeaderRules.check(input.headers, loc: ["body", "headers"])
        if !issues.isEmpty { throw HeraldError.validation(issues) }
        endpoint.headers = input.headers
        endpoint.updatedAt = environment.clock.now()
        environment.markWriter(of: &endpoint, context)
        try await environment.store.updateEndpoint(endpoint)
        return JSONResponse.noContent()
    }

    @Sendable func patchHeaders(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let application = try await environment.application(context)
        try environment.checkEndpointWrite(context, in: application)
        var endpoint = try await environment.endpoint(context, in: application)
        let input = try await environment.decode(EndpointHeadersPatchIn.self, from: request)
        var issues = EndpointHeaderRules.check(input.headers, loc: ["body", "headers"])
        var merged = endpoint.headers
        let changes = input.headers.map { ($0.key, $0.value) } + (input.deleteHeaders ?? []).map { ($0, String?.none) }
        for (name, value) in changes {
            // Header names are case-insensitive: a patch replaces or deletes whatever case was stored.
            for existing in merged.keys where existing.lowercased() == name.lowercased() { merged[existing] = nil }
            if let value { merged[name] = value }
        }
        if merged.count > EndpointHeaderRules.maxCount {
            issues.append(ValidationIssue(loc: ["body", "headers"], msg: "at most \(EndpointHeaderRules.maxCount) headers"))
        }
        if !issues.isEmpty { throw HeraldError.validation(issues) }
        endpoint.headers = merged
        endpoint.updatedAt = environment.clock.now()
        environment.markWriter(of: &endpoint, context)
        try await environment.store.updateEndpoint(endpoint)
        return JSONResponse.noContent()
    }
}
