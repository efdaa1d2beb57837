import Crypto
import Foundation

/// An endpoint's signing key: an HMAC-SHA256 secret (`whsec_…`) or an Ed25519 key pair (`whsk_…`).
public enum EndpointSecret: Sendable, Hashable, Codable, CustomStringConvertible {
    case hmac([UInt8])
    /// The 32-byte Ed25519 seed; the public key is derived from it.
    case ed25519(seed: [UInt8])

    /// Byte lengths Standard Webhooks allows for symmetric secrets.
    public static let hmacLengths = 24...64

    /// Which kind of key to generate for an endpoint that did not bring one.
    public enum Kind: String, Sendable {
        case hmac
        case ed25519
    }

    /// A fresh random key: 24 bytes for HMAC, as Svix generates.
    public static func generate(_ kind: Kind) -> EndpointSecret {
        switch kind {
        case .hmac:
            var generator = SystemRandomNumberGenerator()
            return .hmac((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case .ed25519:
            return .ed25519(seed: Array(Curve25519.Signing.PrivateKey().rawRepresentation))
        }
    }

    /// Parses a secret as a client supplies it: `whsec_` + base64 (prefix optional), or `whsk_` + base64 of the
    /// 64-byte seed ‖ public key (or a bare 32-byte seed). A `whpk_` public key is refused: it cannot sign.
    public init?(parsing text: String) {
        if text.hasPrefix("whsk_") {
            guard let bytes = Data(base64Encoded: String(text.dropFirst(5))).map(Array.init) else { return nil }
            guard bytes.count == 32 || bytes.count == 64,
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes[0..<32])
            else { return nil }
            if bytes.count == 64, Array(key.publicKey.rawRepresentation) != Array(bytes[32..<64]) { return nil }
            self = .ed25519(seed: Array(bytes[0..<32]))
            return
        }
        let encoded = text.hasPrefix("whsec_") ? String(text.dropFirst(6)) : text
        guard (32...100).contains(encoded.utf8.count),
            encoded.utf8.allSatisfy({ $0.isBase64Character }),
            let bytes = Data(base64Encoded: encoded).map(Array.init),
            Self.hmacLengths.contains(bytes.count)
        else { return nil }
        self = .hmac(bytes)
    }

    /// The serialised key as the API shows it.
    public var description: String {
        switch self {
        case .hmac(let bytes):
            return "whsec_" + Data(bytes).base64EncodedString()
        case .ed25519(let seed):
            let publicKey = (try? Curve25519.Signing.PrivateKey(rawRepresentation: seed))?.publicKey.rawRepresentation ?? Data()
            return "whsk_" + Data(seed + Array(publicKey)).base64EncodedString()
        }
    }

    /// The public key (`whpk_…`) receivers verify `v1a` signatures with; nil for HMAC secrets.
    public var publicKey: String? {
        guard case .ed25519(let seed) = self,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else { return nil }
        return "whpk_" + key.publicKey.rawRepresentation.base64EncodedString()
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let secret = EndpointSecret(parsing: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid endpoint secret")
        }
        self = secret
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension UInt8 {
    fileprivate var isBase64Character: Bool {
        switch self {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
