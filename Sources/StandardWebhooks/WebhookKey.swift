import Crypto
import Foundation

/// A Standard Webhooks key.
public enum WebhookKey: Sendable {
    /// A shared secret (`whsec_`): signs and verifies `v1`.
    case hmac(SymmetricKey)
    /// An Ed25519 secret key (`whsk_`): signs `v1a`, and verifies it with its public key.
    case ed25519(Curve25519.Signing.PrivateKey)
    /// An Ed25519 public key (`whpk_`): verifies `v1a`.
    case ed25519Public(Curve25519.Signing.PublicKey)

    /// Parses `whsec_<base64>` (the prefix may be omitted), `whsk_<base64 of seed ‖ public key, or a 32-byte seed>` or
    /// `whpk_<base64 of 32 bytes>`.
    public init(parsing text: String) throws {
        func bytes(_ encoded: Substring) throws -> Data {
            guard let data = Data(base64Encoded: String(encoded)), !data.isEmpty else {
                throw WebhookError.invalidSecret("not base64 after its prefix")
            }
            return data
        }
        if text.hasPrefix("whsk_") {
            let raw = try bytes(text.dropFirst(5))
            guard raw.count == 64 || raw.count == 32,
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw.prefix(32))
            else { throw WebhookError.invalidSecret("a whsk_ key holds a 32-byte seed and its 32-byte public key") }
            guard raw.count == 32 || key.publicKey.rawRepresentation == raw.suffix(32) else {
                throw WebhookError.invalidSecret("the whsk_ key's public half does not belong to its seed")
            }
            self = .ed25519(key)
        } else if text.hasPrefix("whpk_") {
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: try bytes(text.dropFirst(5))) else {
                throw WebhookError.invalidSecret("a whpk_ key holds 32 bytes")
            }
            self = .ed25519Public(key)
        } else {
            let raw = try bytes(text.hasPrefix("whsec_") ? text.dropFirst(6) : Substring(text))
            self = .hmac(SymmetricKey(data: raw))
        }
    }

    /// Whether `signature` (an entry of `version`) is this key's over `content`; compared in constant time.
    func verifies(version: Substring, signature: Data, content: [UInt8]) -> Bool {
        switch (self, version) {
        case (.hmac(let key), "v1"):
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: content, using: key)
        case (.ed25519(let key), "v1a"):
            return key.publicKey.isValidSignature(signature, for: content)
        case (.ed25519Public(let key), "v1a"):
            return key.isValidSignature(signature, for: content)
        default:
            return false
        }
    }

    /// This key's signature entry over `content`; nil for a public key.
    func signatureEntry(for content: [UInt8]) throws -> String? {
        switch self {
        case .hmac(let key):
            return "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: key)).base64EncodedString()
        case .ed25519(let key):
            return "v1a," + (try key.signature(for: content)).base64EncodedString()
        case .ed25519Public:
            return nil
        }
    }
}
