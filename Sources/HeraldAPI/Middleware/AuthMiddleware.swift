import Foundation
import Hummingbird
import HeraldCore

/// Verifies the bearer token of every `/api/v1` route that needs one and records who is calling.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = HeraldRequestContext
    let tokens: TokenAuthority
    let revocations: any TokenRevocationStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw HeraldError.unauthorized("Missing Authorization header")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw HeraldError.unauthorized("Authorization header must be 'Bearer <token>'")
        }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        let (principal, expiresAt) = try await tokens.verifyWithExpiry(token)
        let hash = TokenAuthority.revocationHash(of: token)
        if try await revocations.isTokenRevoked(hash: hash) {
            throw HeraldError.unauthorized("Invalid token: it was logged out")
        }
        var context = context
        context.principal = principal
        context.token = BearerToken(hash: hash, expiresAt: expiresAt)
        return try await next(request, context)
    }
}
