import Crypto
import Foundation

/// Makes JWTs by hand, including ones Herald must refuse (other algorithms, `none`, bad signatures), the way any
/// other JWT library would.
public enum TokenForge {
    public static func make(alg: String = "HS256", claims: [String: Any], secret: String) -> String {
        let header = encode(["alg": alg, "typ": "JWT"])
        let payload = encode(claims)
        let input = header + "." + payload
        let signature: [UInt8]
        let key = SymmetricKey(data: Array(secret.utf8))
        switch alg {
        case "HS256": signature = Array(HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: key))
        case "HS384": signature = Array(HMAC<SHA384>.authenticationCode(for: Array(input.utf8), using: key))
        case "HS512": signature = Array(HMAC<SHA512>.authenticationCode(for: Array(input.utf8), using: key))
        default: signature = []
        }
        return input + "." + base64URL(signature)
    }

    public static func now() -> Int { Int(Date().timeIntervalSince1970) }

    private static func encode(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return base64URL(Array(data))
    }

    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
