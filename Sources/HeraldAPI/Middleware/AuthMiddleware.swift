import Foundation
import HeraldCore
import Hummingbird

/// Verifies the bearer token of every `/api/v1` route that needs one and records who is calling.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = HeraldRequestContext
    let tokens: TokenAuthority
    let revocations: any TokenRevocationStore
    /// Whether a cached token's revocation must be read again: instances share the store and news of their logouts
    /// are not followed now (while they are, a logout's news clear the cache).
    let revocationReadEachTime: @Sendable () -> Bool
    let cache: VerifiedTokenCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw HeraldError.unauthorized("Missing Authorization header")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw HeraldError.unauthorized("Authorization header must be 'Bearer <token>'")
        }
        // Not Foundation's `trimmingCharacters`: on Linux it goes through NSString, a measurable cost on every request.
        var trimmed = parts[1].drop(while: \.isWhitespace)
        while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
        let token = String(trimmed)
        let now = Timestamp.now()
        var context = context
        let verified: VerifiedToken
        if let cached = cache.lookup(token, now: now) {
            verified = cached.token
            if revocationReadEachTime(), try await revocations.isTokenRevoked(hashes: verified.revocationHashes) {
                throw HeraldError.unauthorized("Invalid token: it was logged out")
            }
        } else {
            let generation = cache.generation
            verified = try await tokens.verifyToken(token)
            if try await revocations.isTokenRevoked(hashes: verified.revocationHashes) {
                throw HeraldError.unauthorized("Invalid token: it was logged out")
            }
            cache.store(token, .init(token: verified, cachedAt: now), readAt: generation)
        }
        context.principal = verified.principal
        context.token = verified
        return try await next(request, context)
    }
}
