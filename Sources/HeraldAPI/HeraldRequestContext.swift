import HeraldCore
import Hummingbird

/// The request context of every Herald route: Hummingbird's core storage plus who is calling.
public struct HeraldRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` on authenticated routes.
    public var principal: Principal?
    /// The verified bearer token, for logout.
    public var token: BearerToken?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.token = nil
    }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw HeraldError.unauthorized() }
        return principal
    }

    /// The caller's organisation, refusing app tokens (routes marked "org token only" in the Svix API).
    public func requireOrgToken() throws -> String {
        let principal = try requirePrincipal()
        guard case .organization(let orgID) = principal else { throw HeraldError.forbidden() }
        return orgID
    }
}

/// Herald's application (the customer), not Hummingbird's server application.
typealias Application = HeraldCore.Application

/// A verified bearer token as logout needs it.
public struct BearerToken: Sendable {
    public var raw: String
    public var expiresAt: Timestamp?
}
