import Foundation
import StandardWebhooks
import Testing

/// The official test vectors (`../shared/reference/standard-webhooks.md` §2) and what the reference libraries accept
/// and refuse (§3).
@Suite struct WebhookTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let payload = Array(#"{"test": 2432232314}"#.utf8)
    static let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let signedAt = Date(timeIntervalSince1970: TimeInterval(timestamp))

    static func headers(_ signature: String = expected, id: String = id, timestamp: String = String(timestamp)) -> [String: String] {
        ["webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature]
    }

    @Test func thePrimaryVectorSignsAndVerifies() throws {
        let webhook = try Webhook(secret: Self.secret)
        #expect(try webhook.sign(payload: Self.payload, id: Self.id, timestamp: Self.timestamp) == Self.expected)
        try webhook.verify(payload: Self.payload, headers: Self.headers(), now: Self.signedAt)
        // The prefix is optional.
        try Webhook(secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(payload: Self.payload, headers: Self.headers(), now: Self.signedAt)
    }

    @Test func theSecondaryVectorSigns() throws {
        let webhook = try Webhook(secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
        let payload = Array(#"{"email":"test@example.com","username":"test_user"}"#.utf8)
        #expect(
            try webhook.sign(payload: payload, id: "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", timestamp: 1_649_367_553)
                == "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        )
    }

    @Test func theEd25519VectorSignsAndItsPublicKeyVerifies() throws {
        let secretKey = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="
        let publicKey = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="
        let expected = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
        let signer = try Webhook(secret: secretKey)
        let signature = try signer.sign(payload: Self.payload, id: Self.id, timestamp: Self.timestamp)
        #if os(Linux)
        #expect(signature == expected)  // BoringSSL's Ed25519 is deterministic (CryptoKit's is not).
        #endif
        let receiver = try Webhook(secret: publicKey)
        try receiver.verify(payload: Self.payload, headers: Self.headers(expected), now: Self.signedAt)
        try receiver.verify(payload: Self.payload, headers: Self.headers(signature), now: Self.signedAt)
        #expect(throws: WebhookError.cannotSign) { try receiver.sign(payload: Self.payload, id: Self.id, timestamp: Self.timestamp) }
        // An HMAC key does not accept a v1a entry, nor an Ed25519 key a v1 one.
        #expect(throws: WebhookError.noMatchingSignature) {
            try Webhook(secret: Self.secret).verify(payload: Self.payload, headers: Self.headers(expected), now: Self.signedAt)
        }
        #expect(throws: WebhookError.noMatchingSignature) {
            try receiver.verify(payload: Self.payload, headers: Self.headers(Self.expected), now: Self.signedAt)
        }
    }

    @Test func anyChangeToWhatWasSignedIsRefused() throws {
        let webhook = try Webhook(secret: Self.secret)
        let cases: [([UInt8], [String: String])] = [
            (Array(#"{"test": 2432232315}"#.utf8), Self.headers()),
            (Self.payload + [10], Self.headers()),
            (Self.payload, Self.headers(id: "msg_p5jXN8AQM9LWM0D4loKWxJel")),
            (Self.payload, Self.headers(timestamp: String(Self.timestamp + 1))),
            (Self.payload, Self.headers("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")),
        ]
        for (payload, headers) in cases {
            #expect(throws: WebhookError.noMatchingSignature) { try webhook.verify(payload: payload, headers: headers, now: Self.signedAt) }
        }
        #expect(throws: WebhookError.noMatchingSignature) {
            try Webhook(secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").verify(payload: Self.payload, headers: Self.headers(), now: Self.signedAt)
        }
    }

    @Test func timestampsOutsideFiveMinutesAreRefusedEitherWay() throws {
        let webhook = try Webhook(secret: Self.secret)
        let signedAt = Self.signedAt
        try webhook.verify(payload: Self.payload, headers: Self.headers(), now: signedAt.addingTimeInterval(300))
        try webhook.verify(payload: Self.payload, headers: Self.headers(), now: signedAt.addingTimeInterval(-300))
        #expect(throws: WebhookError.timestampTooOld) {
            try webhook.verify(payload: Self.payload, headers: Self.headers(), now: signedAt.addingTimeInterval(301))
        }
        #expect(throws: WebhookError.timestampTooNew) {
            try webhook.verify(payload: Self.payload, headers: Self.headers(), now: signedAt.addingTimeInterval(-301))
        }
        for bad in ["", "abc", "+1614265330", "-1", "1614265330.5", "99999999999999999999999"] {
            #expect(throws: WebhookError.invalidTimestamp) {
                try webhook.verify(payload: Self.payload, headers: Self.headers(timestamp: bad), now: signedAt)
            }
        }
        // A timestamp far in the past does not overflow the arithmetic.
        #expect(throws: WebhookError.timestampTooOld) {
            try webhook.verify(payload: Self.payload, headers: Self.headers(timestamp: "0"), now: Date(timeIntervalSince1970: 9e15))
        }
    }

    @Test func headersAreFoundInAnyCaseAndUnderSvixNames() throws {
        let webhook = try Webhook(secret: Self.secret)
        let mixed = ["Webhook-Id": Self.id, "WEBHOOK-TIMESTAMP": String(Self.timestamp), "webhook-Signature": Self.expected]
        try webhook.verify(payload: Self.payload, headers: mixed, now: Self.signedAt)
        let svix = ["svix-id": Self.id, "svix-timestamp": String(Self.timestamp), "svix-signature": Self.expected]
        try webhook.verify(payload: Self.payload, headers: svix, now: Self.signedAt)
        var missing = Self.headers()
        missing["webhook-signature"] = nil
        #expect(throws: WebhookError.missingHeaders) { try webhook.verify(payload: Self.payload, headers: missing, now: Self.signedAt) }
    }

    @Test func anyMatchingEntryOfARotationPassesAndMalformedEntriesAreSkipped() throws {
        let webhook = try Webhook(secret: Self.secret)
        let stale = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        for signature in [
            "\(stale) \(Self.expected)", "  \(Self.expected)  ", "nocomma \(Self.expected)", "v1,%%%notbase64 \(Self.expected)",
            "v1a,AAAA \(Self.expected)",
        ] {
            try webhook.verify(payload: Self.payload, headers: Self.headers(signature), now: Self.signedAt)
        }
        // A receiver holding both keys of a rotation accepts a message signed by either.
        let rotating = try Webhook(secrets: ["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", Self.secret])
        try rotating.verify(payload: Self.payload, headers: Self.headers(), now: Self.signedAt)
        #expect(try rotating.sign(payload: Self.payload, id: Self.id, timestamp: Self.timestamp).split(separator: " ").count == 2)
    }

    @Test(arguments: [
        "", "whsec_", "whsec_%%%", "whpk_AAAA", "whsk_AAAA",
        // The whsk_ vector with its public half changed.
        "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvw==",
    ])
    func secretsThatAreNotKeysAreRefused(secret: String) {
        #expect(throws: WebhookError.self) { try Webhook(secret: secret) }
    }
}
