import Crypto
import Foundation

/// Standard Webhooks signatures: `v1,` HMAC-SHA256 and `v1a,` Ed25519 over `id.timestamp.body`.
public enum WebhookSigner {
    /// The `webhook-signature` value for one request: one entry per key, separated by exactly one space.
    public static func signature(
        messageID: String,
        timestamp: Int64,
        body: some DataProtocol,
        secrets: [EndpointSecret]
    ) -> String {
        var content = [UInt8]()
        content.reserveCapacity(messageID.utf8.count + 24 + body.count)
        content.append(contentsOf: messageID.utf8)
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: String(timestamp).utf8)
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: body)
        return secrets.map { entry(for: content, secret: $0) }.joined(separator: " ")
    }

    private static func entry(for content: [UInt8], secret: EndpointSecret) -> String {
        switch secret {
        case .hmac(let key):
            let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
            return "v1," + Data(mac).base64EncodedString()
        case .ed25519(let seed):
            // A seed that fails to load was rejected when the secret was parsed; an empty entry never verifies.
            guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed),
                let signature = try? key.signature(for: content)
            else { return "v1a," }
            return "v1a," + signature.base64EncodedString()
        }
    }
}
