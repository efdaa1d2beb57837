import HeraldCore
import Testing

/// The Standard Webhooks test vectors, reproduced byte for byte.
@Suite struct SigningTests {
    static let messageID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let payload = Array(#"{"test": 2432232314}"#.utf8)

    @Test func primaryHMACVector() throws {
        let secret = try #require(EndpointSecret(parsing: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSigner.signature(messageID: Self.messageID, timestamp: Self.timestamp, body: Self.payload, secrets: [secret])
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func secondaryHMACVector() throws {
        let secret = try #require(EndpointSecret(parsing: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"))
        let body = Array(#"{"email":"test@example.com","username":"test_user"}"#.utf8)
        let signature = WebhookSigner.signature(messageID: "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", timestamp: 1_649_367_553, body: body, secrets: [secret])
        #expect(signature == "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")
    }

    @Test func ed25519Vector() throws {
        let whsk = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="
        let secret = try #require(EndpointSecret(parsing: whsk))
        #expect(secret.description == whsk)
        #expect(secret.publicKey == "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=")
        let signature = WebhookSigner.signature(messageID: Self.messageID, timestamp: Self.timestamp, body: Self.payload, secrets: [secret])
        #expect(signature == "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==")
    }

    @Test func everyKeySignsSeparatedBySingleSpaces() throws {
        let first = try #require(EndpointSecret(parsing: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let second = try #require(EndpointSecret(parsing: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"))
        let signature = WebhookSigner.signature(messageID: Self.messageID, timestamp: Self.timestamp, body: Self.payload, secrets: [first, second])
        let entries = signature.split(separator: " ", omittingEmptySubsequences: false)
        #expect(entries.count == 2)
        #expect(entries[0] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(entries[1].hasPrefix("v1,"))
    }

    @Test(arguments: [
        "whsec_abc",  // too short
        "whsec_" + String(repeating: "A", count: 101),  // too long
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",  // not base64
        "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=",  // a public key cannot sign
        "whsk_AAAA",  // wrong length
        // seed and public key that do not belong together
        "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbcAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
    ])
    func refusesBadSecrets(text: String) {
        #expect(EndpointSecret(parsing: text) == nil)
    }

    @Test func acceptsBareBase64AndGeneratesUsableKeys() throws {
        #expect(EndpointSecret(parsing: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") != nil)
        let generated = EndpointSecret.generate(.hmac)
        #expect(EndpointSecret(parsing: generated.description) == generated)
        #expect(generated.description.count == "whsec_".count + 32)
        let ed = EndpointSecret.generate(.ed25519)
        #expect(EndpointSecret(parsing: ed.description) == ed)
        #expect(ed.publicKey?.hasPrefix("whpk_") == true)
    }
}
