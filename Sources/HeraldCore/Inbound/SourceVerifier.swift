import Crypto
import Foundation
import StandardWebhooks

/// Why an inbound request was not accepted; counted per reason, never told to the sender.
public enum InboundRejection: String, Error, Sendable, Hashable, CaseIterable {
    /// The scheme's signature (or credentials) header is absent or malformed.
    case missingSignature = "missing_signature"
    /// No signature matches the source's secret.
    case badSignature = "bad_signature"
    /// The signed timestamp is outside the tolerance: a replay, or a clock far off.
    case staleTimestamp = "stale_timestamp"
}

/// Checks that an inbound request comes from its source's sender, by the sender's documented scheme, over the raw
/// bytes received (before any parsing) and comparing in constant time.
public struct SourceVerifier: Sendable {
    public var verification: SourceVerification

    public init(_ verification: SourceVerification) {
        self.verification = verification
    }

    /// Throws `InboundRejection` unless the request is the sender's. `headers` are looked up by lower-cased name.
    public func verify(body: [UInt8], headers: InboundHeaders, now: Timestamp) throws {
        switch verification {
        case .none:
            return
        case .standardWebhooks(let secret):
            try Self.verifyStandardWebhooks(body: body, headers: headers, secret: secret, now: now)
        case .stripe(let secret, let tolerance):
            try Self.verifyStripe(body: body, header: headers["stripe-signature"], secret: secret, tolerance: tolerance, now: now)
        case .github(let secret):
            guard let value = headers["x-hub-signature-256"], value.hasPrefix("sha256=") else { throw InboundRejection.missingSignature }
            try Self.checkMAC(Self.hexBytes(value.dropFirst(7)), body: body, secret: secret)
        case .shopify(let secret):
            guard let value = headers["x-shopify-hmac-sha256"] else { throw InboundRejection.missingSignature }
            try Self.checkMAC(Data(base64Encoded: value).map(Array.init), body: body, secret: secret)
        case .hmacSHA256(let secret, let header, let encoding, let prefix):
            guard let value = headers[header.lowercased()], value.hasPrefix(prefix) else { throw InboundRejection.missingSignature }
            let encoded = value.dropFirst(prefix.count)
            let signature = encoding == .hex ? Self.hexBytes(encoded) : Data(base64Encoded: String(encoded)).map(Array.init)
            try Self.checkMAC(signature, body: body, secret: secret)
        case .basic(let username, let password):
            try Self.verifyBasic(headers["authorization"], username: username, password: password)
        }
    }

    /// Whether `secret` is a key a Standard Webhooks source can verify with (`whsec_…`, `whpk_…`).
    public static func isStandardWebhooksKey(_ secret: String) -> Bool {
        (try? Webhook(secret: secret)) != nil
    }

    private static func verifyStandardWebhooks(body: [UInt8], headers: InboundHeaders, secret: String, now: Timestamp) throws {
        let webhook: Webhook
        do { webhook = try Webhook(secret: secret) } catch { throw InboundRejection.badSignature }
        var named: [String: String] = [:]
        for name in ["id", "timestamp", "signature"] {
            if let value = headers["webhook-" + name] ?? headers["svix-" + name] { named["webhook-" + name] = value }
        }
        do {
            try webhook.verify(payload: body, headers: named, now: Date(timeIntervalSince1970: Double(now.seconds)))
        } catch WebhookError.missingHeaders, WebhookError.invalidTimestamp {
            throw InboundRejection.missingSignature
        } catch WebhookError.timestampTooOld, WebhookError.timestampTooNew {
            throw InboundRejection.staleTimestamp
        } catch {
            throw InboundRejection.badSignature
        }
    }

    /// Stripe: `t=<seconds>,v1=<hex>[,v1=<hex>…]` (other schemes ignored; any `v1` may match, as during a secret
    /// roll), signed over `"<t>.<body>"` with the secret's text as the key.
    private static func verifyStripe(body: [UInt8], header: String?, secret: String, tolerance: Int, now: Timestamp) throws {
        guard let header else { throw InboundRejection.missingSignature }
        var timestamp: Substring?
        var signatures: [Substring] = []
        for item in header.split(separator: ",") {
            guard let equals = item.firstIndex(of: "=") else { continue }
            let key = String(item[..<equals]).trimmingWhitespace()
            let value = String(item[item.index(after: equals)...]).trimmingWhitespace()
            if key == "t" { timestamp = value } else if key == "v1" { signatures.append(value) }
        }
        guard let timestamp, let seconds = Int64(timestamp), !signatures.isEmpty else { throw InboundRejection.missingSignature }
        let (age, overflow) = now.seconds.subtractingReportingOverflow(seconds)
        if overflow || age > Int64(tolerance) || age < -Int64(tolerance) { throw InboundRejection.staleTimestamp }
        // The signature is computed once and each candidate compared with it: a header of thousands of `v1=` entries
        // costs one hash of the body, not thousands (and only the first few entries are looked at).
        let content = Array(timestamp.utf8) + [UInt8(ascii: ".")] + body
        let expected = Array(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: Array(secret.utf8))))
        for signature in signatures.prefix(Self.maxSignatureEntries) {
            if let bytes = hexBytes(signature), bytes.count == SHA256.byteCount, Self.constantTimeEqual(bytes, expected) { return }
        }
        throw InboundRejection.badSignature
    }

    private static func verifyBasic(_ header: String?, username: String, password: String) throws {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic ",
            let decoded = Data(base64Encoded: String(String(header.dropFirst(6)).trimmingWhitespace()))
        else { throw InboundRejection.missingSignature }
        // Compared as MACs of both sides, so the time taken says nothing about where they differ.
        let key = SymmetricKey(size: .bits256)
        let expected = HMAC<SHA256>.authenticationCode(for: Array((username + ":" + password).utf8), using: key)
        guard HMAC<SHA256>.isValidAuthenticationCode(expected, authenticating: Array(decoded), using: key) else {
            throw InboundRejection.badSignature
        }
    }

    /// The body's HMAC-SHA256 under the secret's text against `signature`, in constant time.
    private static func checkMAC(_ signature: [UInt8]?, body: [UInt8], secret: String) throws {
        guard let signature, signature.count == SHA256.byteCount else { throw InboundRejection.missingSignature }
        let key = SymmetricKey(data: Array(secret.utf8))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: body, using: key) else { throw InboundRejection.badSignature }
    }

    /// Signature entries looked at in one header (a sender signs with a few secrets at most, during a roll).
    static let maxSignatureEntries = 16

    /// Whether two byte strings are equal, in time that does not depend on where they differ.
    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    /// Hexadecimal text (either case) as bytes; nil when it is not.
    static func hexBytes(_ text: some StringProtocol) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
