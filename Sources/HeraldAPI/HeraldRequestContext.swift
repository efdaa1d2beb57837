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

/// What an idempotent request created, noted by the route for the middleware that ran it (the context travels down by
/// value, so the answer comes back through this shared box): the resource's id, and whether the route kept its answer
/// under the key itself, in the resource's transaction (`IdempotentAnswer`), so the middleware need not.
final class CreatedResource: Sendable {
    /// The request's idempotency key, as the store keeps it.
    let idempotencyKey: String
    /// How long the answer is replayed.
    let keptSeconds: Int64
    private let value = Mutex<(id: String?, answerKept: Bool)>((nil, false))

    init(idempotencyKey: String, keptSeconds: Int64) {
        self.idempotencyKey = idempotencyKey
        self.keptSeconds = keptSeconds
    }

    func record(_ id: String, answerKept: Bool = false) {
        value.withLock { $0 = (id, answerKept) }
    }

    var id: String? { value.withLock { $0.id } }
    var answerKept: Bool { value.withLock { $0.answerKept } }

    /// The answer `response` (whose body is `body`) to keep with what the request stores, until its window ends.
    func answer(_ response: Response, body: [UInt8], now: Timestamp) -> IdempotentAnswer {
        IdempotentAnswer(
            key: idempotencyKey,
            response: StoredResponse(
                status: response.status.code,
                headers: response.headers.map { [$0.name.rawName, $0.value] },
                body: body
            ),
            expiresAt: now.adding(seconds: keptSeconds)
        )
    }
}

extension HeraldRequestContext {
    /// A created resource's JSON response and, for an idempotent request, the answer to keep with the resource in its
    /// own transaction (a crash between two commits would let a retry under the same key create it again).
    func createdResponse(body: [UInt8], status: HTTPResponse.Status, now: Timestamp) -> (response: Response, answer: IdempotentAnswer?) {
        let response = JSONResponse.make(bytes: body, status: status)
        return (response, createdResource?.answer(response, body: body, now: now))
    }
}
