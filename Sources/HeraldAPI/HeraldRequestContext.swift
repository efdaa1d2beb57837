import HeraldCore
import Hummingbird
import Synchronization

/// The request context of every Herald route: Hummingbird's core storage plus who is calling.
public struct HeraldRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` on authenticated routes.
    public var principal: Principal?
    /// The verified bearer token, for logout and for streams that re-check it.
    public var token: VerifiedToken?
    /// Set by `IdempotencyMiddleware`: where a route notes the message it created (see `CreatedResource`).
    var createdResource: CreatedResource?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.token = nil
        self.createdResource = nil
    }

    /// A context for a request that did not arrive on Herald's own server: one routed to Herald by a host
    /// application's router, or made in process.
    public init(hostedBy source: some RequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.token = nil
        self.createdResource = nil
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

/// The id of the message a request created, noted by the route for the middleware that ran it: the context travels
/// down by value, so the answer comes back through this shared box.
final class CreatedResource: Sendable {
    private let value = Mutex<String?>(nil)

    func record(_ id: String) {
        value.withLock { $0 = id }
    }

    var id: String? { value.withLock { $0 } }
}
