import Crypto
import Foundation

/// Verifies and signs webhooks as the [Standard Webhooks](https://www.standardwebhooks.com) specification defines them:
/// a signature over `{webhook-id}.{webhook-timestamp}.{body}`, sent in `webhook-signature` as space-separated
/// `v1,<base64 HMAC-SHA256>` and `v1a,<base64 Ed25519>` entries.
///
/// ```swift
/// let webhook = try Webhook(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
/// try webhook.verify(payload: body, headers: ["webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig])
/// ```
///
/// A receiver keeps its keys (a trust list) and never takes one from the request. During a key rotation give it every
/// key still valid (`Webhook(secrets:)`): a message passes when any entry matches any key. Signatures are compared in
/// constant time, and timestamps more than `tolerance` away from now (either way) are refused, so a captured request
/// cannot be replayed later.
public struct Webhook: Sendable {
    /// The keys this webhook verifies with (and signs with, where a key can sign).
    public let keys: [WebhookKey]
    /// How far a message's timestamp may be from now, either way. Five minutes, as in every reference library.
    public var tolerance: Int64 = 300

    /// One key: `whsec_…` (or bare base64) for HMAC, `whsk_…` for an Ed25519 signing key, `whpk_…` for an Ed25519
    /// public key (verifies `v1a` only).
    public init(secret: String) throws {
        self.keys = [try WebhookKey(parsing: secret)]
    }

    /// Several keys, any of which may have signed (a rotation).
    public init(secrets: [String]) throws {
        guard !secrets.isEmpty else { throw WebhookError.invalidSecret("no secret given") }
        self.keys = try secrets.map(WebhookKey.init(parsing:))
    }

    public init(keys: [WebhookKey]) {
        self.keys = keys
    }

    /// Checks a received webhook. `headers` are matched case-insensitively; `webhook-*` names are read, and Svix's
    /// `svix-*` names where those are absent. Throws `WebhookError` unless a signature entry matches one of the keys and
    /// the timestamp is within `tolerance` of `now`.
    public func verify(payload: some DataProtocol, headers: [String: String], now: Date = Date()) throws {
        var lowercased: [String: String] = [:]
        for (name, value) in headers { lowercased[name.lowercased()] = value }
        func header(_ name: String) -> String? { lowercased["webhook-" + name] ?? lowercased["svix-" + name] }
        guard let id = header("id"), let timestamp = header("timestamp"), let signature = header("signature") else {
            throw WebhookError.missingHeaders
        }
        try verify(payload: payload, id: id, timestamp: timestamp, signature: signature, now: now)
    }

    /// Checks a received webhook given its three header values.
    public func verify(payload: some DataProtocol, id: String, timestamp: String, signature: String, now: Date = Date()) throws {
        guard let seconds = Int64(timestamp), timestamp.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { throw WebhookError.invalidTimestamp }
        let current = Int64(now.timeIntervalSince1970.rounded(.down))
        let (age, overflow) = current.subtractingReportingOverflow(seconds)
        if overflow || age > tolerance { throw WebhookError.timestampTooOld }
        if age < -tolerance { throw WebhookError.timestampTooNew }
        let content = Self.signedContent(id: id, timestamp: timestamp, payload: payload)
        // Each HMAC key's signature is computed once, however many entries the header holds, and only the first
        // `maxSignatureEntries` entries are looked at: a header of thousands of entries must not cost thousands of
        // hashes of the body.
        var macs: [Int: [UInt8]] = [:]
        // Ed25519 checks cost far more than a comparison: a few entries' worth at most.
        var signatureChecks = 0
        for entry in signature.split(separator: " ", omittingEmptySubsequences: true).prefix(Self.maxSignatureEntries) {
            guard let comma = entry.firstIndex(of: ","),
                let decoded = Data(base64Encoded: String(entry[entry.index(after: comma)...]))
            else { continue }
            let version = entry[..<comma]
            for (index, key) in keys.enumerated() {
                if case .hmac(let secret) = key {
                    guard version == "v1", decoded.count == SHA256.byteCount else { continue }
                    let mac = macs[index] ?? Array(HMAC<SHA256>.authenticationCode(for: content, using: secret))
                    macs[index] = mac
                    if Self.constantTimeEqual(mac, Array(decoded)) { return }
                } else if decoded.count == 64, version == "v1a", signatureChecks < Self.maxPublicKeyChecks {
                    signatureChecks += 1
                    if key.verifies(version: version, signature: decoded, content: content) { return }
                }
            }
        }
        throw WebhookError.noMatchingSignature
    }

    /// Signature entries looked at in one header (a sender signs with a few keys at most, during a rotation).
    public static let maxSignatureEntries = 16
    /// Ed25519 (`v1a`) verifications made for one header, all keys together.
    public static let maxPublicKeyChecks = 4

    /// Whether two byte strings of the same length are equal, in time that does not depend on where they differ.
    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    /// The `webhook-signature` value for a message: one entry per key that can sign, separated by one space.
    /// Throws if no key can sign (public keys only).
    public func sign(payload: some DataProtocol, id: String, timestamp: Int64) throws -> String {
        let content = Self.signedContent(id: id, timestamp: String(timestamp), payload: payload)
        let entries = try keys.compactMap { try $0.signatureEntry(for: content) }
        guard !entries.isEmpty else { throw WebhookError.cannotSign }
        return entries.joined(separator: " ")
    }

    static func signedContent(id: String, timestamp: String, payload: some DataProtocol) -> [UInt8] {
        var content: [UInt8] = []
        content.reserveCapacity(id.utf8.count + timestamp.utf8.count + 2 + payload.count)
        content.append(contentsOf: id.utf8)
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: timestamp.utf8)
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: payload)
        return content
    }
}

/// Why a webhook was refused.
public enum WebhookError: Error, Sendable, Hashable {
    /// The id, timestamp or signature header is missing.
    case missingHeaders
    /// The timestamp is not whole Unix seconds.
    case invalidTimestamp
    /// The timestamp is older than the tolerance allows (a replay, or a clock far behind).
    case timestampTooOld
    /// The timestamp is further ahead than the tolerance allows.
    case timestampTooNew
    /// No signature entry matches any key: the body, id or timestamp was changed, or the key is wrong.
    case noMatchingSignature
    /// A secret that is not a Standard Webhooks key; says why.
    case invalidSecret(String)
    /// Signing needs a secret key; only public keys were given.
    case cannotSign
}
