import Crypto
import Foundation
import HeraldCore
import JWTKit

/// Mints and verifies Herald's bearer tokens: HS256 JWTs, `sub` = org id (org tokens) or app id with an `org` claim
/// (app tokens), as the Svix server does.
public struct TokenAuthority: Sendable {
    /// The org `herald token create` uses when none is given (the Svix server's default).
    public static let defaultOrgID = "org_23rb8YdGqMT0qIzpgGwdXfHirMu"
    /// HMAC-SHA256 wants a key at least as long as its output.
    public static let minimumSecretBytes = 32
    /// Lifetime of org tokens minted by the CLI.
    public static let orgTokenLifetimeSeconds: Int64 = 10 * 365 * 24 * 3600
    /// Lifetime of app-portal tokens.
    public static let appTokenLifetimeSeconds: Int64 = 28 * 24 * 3600

    private let keys: JWTKeyCollection
    private let rawSecret: [UInt8]

    /// A token authority over `secret`; refuses secrets shorter than `minimumSecretBytes`.
    public init(secret: [UInt8]) async throws {
        guard secret.count >= Self.minimumSecretBytes else {
            throw HeraldError.badRequest(
                "the JWT secret must be at least \(Self.minimumSecretBytes) bytes; set HERALD_JWT_SECRET to a longer value"
            )
        }
        self.rawSecret = secret
        self.keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256)
    }

    /// An org token for `orgID`, valid `lifetimeSeconds` (ten years unless given).
    public func orgToken(orgID: String, lifetimeSeconds: Int64 = orgTokenLifetimeSeconds, now: Timestamp = .now()) async throws -> String {
        let claims = HeraldClaims(
            iss: "herald",
            jti: Self.tokenID(),
            sub: orgID,
            org: nil,
            featureFlags: nil,
            iat: Double(now.seconds),
            exp: Double(now.seconds + lifetimeSeconds),
            nbf: nil
        )
        return try await keys.sign(claims)
    }

    /// An app token for one application, valid 28 days.
    public func appToken(orgID: String, appID: String, featureFlags: [String], now: Timestamp = .now()) async throws -> String {
        let claims = HeraldClaims(
            iss: "herald",
            jti: Self.tokenID(),
            sub: appID,
            org: orgID,
            featureFlags: featureFlags.isEmpty ? nil : featureFlags,
            iat: Double(now.seconds),
            exp: Double(now.seconds + Self.appTokenLifetimeSeconds),
            nbf: nil
        )
        return try await keys.sign(claims)
    }

    /// Verifies a bearer token and says whom it speaks for. Only HS256 is accepted; `exp` and `nbf` are checked.
    public func verify(_ token: String) async throws -> Principal {
        try await verifyToken(token).principal
    }

    /// Verifies a bearer token: whom it speaks for, when it expires, and under which key a logout revokes it.
    public func verifyToken(_ token: String) async throws -> VerifiedToken {
        switch Self.algorithm(of: token) {
        case "HS256": break
        case nil: throw HeraldError.unauthorized("Invalid token")
        case let other?: throw HeraldError.unauthorized("Invalid token: algorithm \(other) is not accepted; use HS256")
        }
        let claims: HeraldClaims
        do {
            claims = try await keys.verify(token, as: HeraldClaims.self)
        } catch let error as HeraldError {
            throw error
        } catch {
            if Array(token.utf8) == rawSecret {
                throw HeraldError.unauthorized("Invalid token: the JWT signing secret itself was sent; send a token made with it")
            }
            throw HeraldError.unauthorized("Invalid token")
        }
        guard let subject = claims.sub, !subject.isEmpty else {
            throw HeraldError.unauthorized("Invalid token (missing `sub`)")
        }
        let revocation = Self.revocationHashes(of: token, jti: claims.jti)
        if let orgID = claims.org {
            guard orgID.hasPrefix(IDPrefix.organization.rawValue), IDPrefix.application.isID(subject)
            else { throw HeraldError.badRequest("Invalid token: bad app or org id", code: "bad_token") }
            let principal = Principal.application(orgID: orgID, appID: subject, featureFlags: Set(claims.featureFlags ?? []))
            return VerifiedToken(principal: principal, expiresAt: claims.expiry, revocationHashes: revocation)
        }
        guard subject.hasPrefix(IDPrefix.organization.rawValue), subject.utf8.count > 4, subject.utf8.count <= 64,
            FieldRules.isIdentifierLike(subject)
        else { throw HeraldError.badRequest("Invalid token: `sub` is not an org id", code: "bad_token") }
        return VerifiedToken(principal: .organization(subject), expiresAt: claims.expiry, revocationHashes: revocation)
    }

    /// The hashes a revocation of `token` is looked up under; a logout records the first.
    ///
    /// The first names what the signature fixes, so no re-spelling of the token escapes it: its `jti` when it has one
    /// (every token Herald mints does; revoking it ends every token with that id), otherwise its signed part (header and
    /// claims as sent), which the HMAC covers byte for byte. The token's text as a whole is not a key: a base64url
    /// signature can be spelled several ways (unused low bits, padding) that verify alike. The second is that text's
    /// hash, under which Herald before 0.2 recorded logouts, so those stay revoked.
    static func revocationHashes(of token: String, jti: String?) -> [String] {
        let key: String
        if let jti, !jti.isEmpty {
            key = "jti:" + jti
        } else {
            let signedPart = token.utf8.lastIndex(of: UInt8(ascii: ".")).map { String(token[..<$0]) } ?? token
            key = "signed:" + signedPart
        }
        return [Array(SHA256.hash(data: Array(key.utf8))).hexString, Array(SHA256.hash(data: Array(token.utf8))).hexString]
    }

    /// A random token id, so two tokens minted in the same second differ and logging one out leaves the other valid.
    static func tokenID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
    }

    /// The `alg` of a compact JWS header, read before verification so that `none` and other algorithms are refused
    /// outright rather than tried against the HMAC key.
    static func algorithm(of token: String) -> String? {
        guard let header = token.split(separator: ".", omittingEmptySubsequences: false).first,
            let data = Data(base64URLEncoded: String(header)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["alg"] as? String
    }
}

/// A bearer token whose signature and times were checked.
public struct VerifiedToken: Sendable {
    public var principal: Principal
    /// When it stops being valid; nil for a token without `exp`.
    public var expiresAt: Timestamp?
    /// Where a revocation of it is recorded (the first) and looked up (all); see `TokenAuthority.revocationHashes`.
    public var revocationHashes: [String]
}

/// The claims Herald reads and writes.
struct HeraldClaims: JWTPayload {
    var iss: String?
    var jti: String?
    var sub: String?
    var org: String?
    var featureFlags: [String]?
    // Seconds; Double because some JWT libraries write fractional times.
    var iat: Double?
    var exp: Double?
    var nbf: Double?

    enum CodingKeys: String, CodingKey {
        case iss, jti, sub, org, iat, exp, nbf
        case featureFlags = "feature_flags"
    }

    /// `exp` as a time; a value no time can hold (NaN, infinite, beyond `Int64`) is clamped, never trapped on.
    var expiry: Timestamp? {
        exp.map { seconds in
            let milliseconds = (seconds * 1000).rounded(.down)
            guard milliseconds.isFinite else { return Timestamp(milliseconds: seconds.sign == .minus ? .min : .max) }
            return Timestamp(milliseconds: Int64(exactly: milliseconds) ?? (milliseconds < 0 ? .min : .max))
        }
    }

    func verify(using algorithm: some JWTAlgorithm) throws {
        let now = Double(Timestamp.now().milliseconds) / 1000
        if let exp, now >= exp { throw HeraldError.unauthorized("Invalid token: expired") }
        if let nbf, now < nbf { throw HeraldError.unauthorized("Invalid token: not yet valid") }
    }
}

extension Data {
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
