import Foundation
import Testing

@testable import HeraldCore

/// Each sender's scheme against a signature made independently: GitHub's and Standard Webhooks' documented vectors,
/// Stripe's and Shopify's computed with Python's `hmac` (the schemes as their documentation states them).
@Suite struct SourceVerifierTests {
    static let now = Timestamp(milliseconds: 1_700_000_010_000)

    static func headers(_ pairs: [(String, String)]) -> InboundHeaders {
        InboundHeaders(pairs.map { (name: $0.0, value: $0.1) })
    }

    static func verify(_ verification: SourceVerification, body: String, headers: [(String, String)], now: Timestamp = now) throws {
        try SourceVerifier(verification).verify(body: Array(body.utf8), headers: Self.headers(headers), now: now)
    }

    static func rejection(_ verification: SourceVerification, body: String, headers: [(String, String)], now: Timestamp = now) -> InboundRejection? {
        do {
            try verify(verification, body: body, headers: headers, now: now)
            return nil
        } catch {
            return error as? InboundRejection
        }
    }

    /// GitHub's documentation: secret "It's a Secret to Everybody", payload "Hello, World!".
    @Test func githubDocumentedVector() throws {
        let github = SourceVerification.github(secret: "It's a Secret to Everybody")
        let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        try Self.verify(github, body: "Hello, World!", headers: [("X-Hub-Signature-256", signature)])
        try Self.verify(
            github,
            body: "Hello, World!",
            headers: [("x-hub-signature-256", signature.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="))]
        )
        #expect(Self.rejection(github, body: "Hello, World?", headers: [("X-Hub-Signature-256", signature)]) == .badSignature)
        #expect(Self.rejection(github, body: "Hello, World!", headers: []) == .missingSignature)
        // The legacy SHA-1 header alone is not enough.
        #expect(Self.rejection(github, body: "Hello, World!", headers: [("X-Hub-Signature", "sha1=abc")]) == .missingSignature)
    }

    @Test func stripeSignatureAnyV1OfTheRollWithinTolerance() throws {
        let stripe = SourceVerification.stripe(secret: "whsec_test_secret", toleranceSeconds: 300)
        let body = #"{"id":"evt_1","type":"payment_intent.succeeded"}"#
        let good = "22d8dc182f5c588077683bd378368e29765bfe5df2560112b4f28fef120f0e31"
        let other = String(repeating: "0", count: 64)
        try Self.verify(stripe, body: body, headers: [("Stripe-Signature", "t=1700000000,v1=\(good)")])
        // During a secret roll Stripe sends one v1 per secret; other schemes (v0) are ignored.
        try Self.verify(stripe, body: body, headers: [("Stripe-Signature", "t=1700000000,v1=\(other),v0=\(other),v1=\(good)")])
        #expect(Self.rejection(stripe, body: body + " ", headers: [("Stripe-Signature", "t=1700000000,v1=\(good)")]) == .badSignature)
        #expect(Self.rejection(stripe, body: body, headers: [("Stripe-Signature", "t=1700000001,v1=\(good)")]) == .badSignature)
        let late = Timestamp(milliseconds: (1_700_000_000 + 301) * 1000)
        #expect(Self.rejection(stripe, body: body, headers: [("Stripe-Signature", "t=1700000000,v1=\(good)")], now: late) == .staleTimestamp)
        #expect(Self.rejection(stripe, body: body, headers: [("Stripe-Signature", "v1=\(good)")]) == .missingSignature)
        #expect(Self.rejection(stripe, body: body, headers: [("Stripe-Signature", "t=99999999999999999999,v1=\(good)")]) == .missingSignature)
        #expect(Self.rejection(stripe, body: body, headers: [("Stripe-Signature", "t=-9223372036854775808,v1=\(good)")]) == .staleTimestamp)
    }

    /// A header of thousands of entries costs one hash: only the first 16 are looked at, and empty or short ones are
    /// never compared (so a valid signature hidden after them is not found either).
    @Test func signatureHeadersOfManyEntriesAreBounded() throws {
        let stripe = SourceVerification.stripe(secret: "whsec_test_secret", toleranceSeconds: 300)
        let body = #"{"id":"evt_1","type":"payment_intent.succeeded"}"#
        let good = "v1=22d8dc182f5c588077683bd378368e29765bfe5df2560112b4f28fef120f0e31"
        let padding = Array(repeating: "v1=", count: 5000).joined(separator: ",")
        #expect(Self.rejection(stripe, body: body, headers: [("Stripe-Signature", "t=1700000000,\(padding),\(good)")]) == .badSignature)
        let few = Array(repeating: "v1=" + String(repeating: "ab", count: 32), count: 15).joined(separator: ",")
        try Self.verify(stripe, body: body, headers: [("Stripe-Signature", "t=1700000000,\(few),\(good)")])
        let standard = SourceVerification.standardWebhooks(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let entries = Array(repeating: "v1,", count: 5000).joined(separator: " ") + " v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        let headers = [("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"), ("webhook-signature", entries)]
        #expect(
            Self.rejection(standard, body: #"{"test": 2432232314}"#, headers: headers, now: Timestamp(milliseconds: 1_614_265_330_000))
                == .badSignature
        )
    }

    @Test func shopifyBase64Signature() throws {
        let shopify = SourceVerification.shopify(secret: "shpss_secret")
        let body = #"{"id":820982911946154508}"#
        try Self.verify(shopify, body: body, headers: [("X-Shopify-Hmac-Sha256", "jqbalbO3Z8mDmrF2/+wzM3KYvbgqzVBF969vgiIy80I=")])
        #expect(
            Self.rejection(shopify, body: body, headers: [("X-Shopify-Hmac-Sha256", "kqbalbO3Z8mDmrF2/+wzM3KYvbgqzVBF969vgiIy80I=")]) == .badSignature
        )
        #expect(Self.rejection(shopify, body: body, headers: [("X-Shopify-Hmac-Sha256", "not base64!")]) == .missingSignature)
    }

    /// The Standard Webhooks primary vector, verified by Herald's own StandardWebhooks library.
    @Test func standardWebhooksVector() throws {
        let verification = SourceVerification.standardWebhooks(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let headers = [
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"),
            ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ]
        let then = Timestamp(milliseconds: 1_614_265_330_000)
        try Self.verify(verification, body: #"{"test": 2432232314}"#, headers: headers, now: then)
        // Svix's header names as well.
        try Self.verify(verification, body: #"{"test": 2432232314}"#, headers: headers.map { ("svix" + $0.0.dropFirst(7), $0.1) }, now: then)
        #expect(Self.rejection(verification, body: #"{"test": 2432232315}"#, headers: headers, now: then) == .badSignature)
        #expect(Self.rejection(verification, body: #"{"test": 2432232314}"#, headers: headers, now: Self.now) == .staleTimestamp)
        #expect(Self.rejection(verification, body: #"{"test": 2432232314}"#, headers: Array(headers.prefix(2)), now: then) == .missingSignature)
    }

    @Test func configurableHMACAndBasicAndNone() throws {
        let hex = SourceVerification.hmacSHA256(secret: "It's a Secret to Everybody", header: "X-Signature", encoding: .hex, prefix: "sha256=")
        try Self.verify(
            hex,
            body: "Hello, World!",
            headers: [("x-signature", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
        )
        #expect(
            Self.rejection(hex, body: "Hello, World!", headers: [("x-signature", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")])
                == .missingSignature
        )
        let basic = SourceVerification.basic(username: "stripe", password: "s3cret")
        let credentials = Data("stripe:s3cret".utf8).base64EncodedString()
        try Self.verify(basic, body: "{}", headers: [("Authorization", "Basic \(credentials)")])
        let wrong = Data("stripe:s3creT".utf8).base64EncodedString()
        #expect(Self.rejection(basic, body: "{}", headers: [("Authorization", "Basic \(wrong)")]) == .badSignature)
        #expect(Self.rejection(basic, body: "{}", headers: [("Authorization", "Bearer \(credentials)")]) == .missingSignature)
        try Self.verify(.none, body: "anything", headers: [])
    }

    @Test func eventTypeAndIDFollowEachSendersConventions() throws {
        func source(_ verification: SourceVerification, mapping: SourceMapping = SourceMapping()) -> Source {
            Source(
                id: "src_x",
                appID: "app_x",
                uid: nil,
                name: "s",
                verification: verification,
                mapping: mapping,
                token: "t",
                createdAt: Self.now,
                updatedAt: Self.now
            )
        }
        let stripe = InboundEvent(
            source: source(.stripe(secret: "s", toleranceSeconds: 300)),
            body: Array(#"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","type":"payment_intent.succeeded"}"#.utf8),
            headers: Self.headers([])
        )
        #expect(stripe.eventType == "payment_intent.succeeded" && stripe.eventID == "evt_1NG8Du2eZvKYlo2CUI79vXWy")
        let github = InboundEvent(
            source: source(.github(secret: "s")),
            body: Array("{}".utf8),
            headers: Self.headers([("X-GitHub-Event", "pull_request"), ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")])
        )
        #expect(github.eventType == "pull_request" && github.eventID == "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        let shopify = InboundEvent(
            source: source(.shopify(secret: "s")),
            body: Array("{}".utf8),
            headers: Self.headers([("X-Shopify-Topic", "orders/create"), ("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")])
        )
        #expect(shopify.eventType == "orders.create" && shopify.eventID == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
        let mapped = InboundEvent(
            source: source(.none, mapping: SourceMapping(eventType: .jsonPath("data.kind"), eventID: .header("X-Request-Id"))),
            body: Array(#"{"data":{"kind":"invoice paid"}}"#.utf8),
            headers: Self.headers([("x-request-id", "id with spaces")])
        )
        // Characters an event type may not hold become dots; an id that is not a valid event id is kept as its hash.
        #expect(mapped.eventType == "invoice.paid")
        #expect(mapped.eventID?.hasPrefix("sha256-") == true && mapped.eventID?.count == 71)
        // Read by the plain scanner, or — for escapes — by a full parse, with the same answers.
        let escaped = InboundEvent(
            source: source(.stripe(secret: "s", toleranceSeconds: 300)),
            body: Array(#"{"data":{"n":1},"type":"charge.succeeded","id":42}"#.utf8),
            headers: Self.headers([])
        )
        #expect(escaped.eventType == "charge.succeeded" && escaped.eventID == "42")
        #expect(InboundEvent.plainScalar(at: "data.n", in: Array(#"{"data":{"n":1}}"#.utf8)) == .found("1"))
        #expect(InboundEvent.plainScalar(at: "data.m", in: Array(#"{"data":{"n":1}}"#.utf8)) == .absent)
        #expect(InboundEvent.plainScalar(at: "type", in: Array(#"{"type":"a\"b"}"#.utf8)) == .unknown)
        let plain = InboundEvent(source: source(.none), body: Array("a=1&b=2".utf8), headers: Self.headers([]))
        #expect(plain.eventType == InboundEvent.fallbackEventType && plain.eventID == nil)
    }

    @Test func envelopeKeepsOnlyTheSchemesAndNamedHeaders() throws {
        let headers = Self.headers([
            ("Content-Type", "application/x-www-form-urlencoded"), ("Host", "herald.example"), ("Authorization", "Basic eDp5"),
            ("Stripe-Signature", "t=1,v1=ab"), ("User-Agent", "Stripe/1.0"), ("Content-Length", "7"), ("Cookie", "a=b"),
            ("X-Forwarded-User", "admin"), ("X-HTTP-Method-Override", "DELETE"), ("X-Request-Id", "r1"), ("X-GitHub-Event", "push"),
        ])
        var source = Source(
            id: "src_x",
            appID: "app_x",
            uid: nil,
            name: "s",
            verification: .stripe(secret: "s", toleranceSeconds: 300),
            token: "t",
            createdAt: Self.now,
            updatedAt: Self.now
        )
        let envelope = InboundEnvelope(sourceID: "src_x", headers: headers, keeping: source.senderHeaders(of: headers), body: [])
        #expect(envelope.contentType == "application/x-www-form-urlencoded" && !envelope.payloadIsBody)
        // Identity and method-override headers a receiver behind a proxy might trust never pass; nor another scheme's.
        #expect(envelope.headers.map(\.name) == ["stripe-signature", "user-agent"])
        source.mapping.forwardHeaders = ["x-request-id", "x-forwarded-user"]
        let named = InboundEnvelope(sourceID: "src_x", headers: headers, keeping: source.senderHeaders(of: headers), body: [])
        #expect(named.headers.map(\.name) == ["stripe-signature", "user-agent", "x-request-id"])
        source.verification = .github(secret: "s")
        #expect(
            InboundEnvelope(sourceID: "src_x", headers: headers, keeping: source.senderHeaders(of: headers), body: []).headers.map(\.name).contains(
                "x-github-event"
            )
        )
        let many = Self.headers((0..<100).map { ("x-h\($0)", String(repeating: "v", count: 400)) })
        let bounded = InboundEnvelope(sourceID: "src_x", headers: many, keeping: SenderHeaders(names: [], prefixes: ["x-h"]), body: [])
        #expect(bounded.headers.count > 30)
        #expect(bounded.headers.count <= InboundEnvelope.maxHeaders)
        #expect(bounded.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count } <= InboundEnvelope.maxHeaderBytes)
        #expect(InboundEnvelope(storedJSON: envelope.storedJSON) == envelope)
    }

    @Test func receivedBodiesReadAsJSONWhateverTheirType() throws {
        func message(_ body: String, contentType: String) -> Message {
            Message(
                id: "msg_x",
                appID: "app_x",
                eventType: "t",
                eventID: nil,
                channels: nil,
                payload: Array(body.utf8),
                payloadExpiresAt: Self.now,
                createdAt: Self.now,
                inbound: InboundEnvelope(
                    sourceID: "src_x",
                    contentType: contentType,
                    headers: [],
                    payloadIsBody: InboundEnvelope.isJSONObject(Array(body.utf8))
                )
            )
        }
        #expect(message(#"{"a": 1}"#, contentType: "application/json").payloadAsJSON == Array(#"{"a": 1}"#.utf8))
        let form = try #require(message("a=1&b=2", contentType: "application/x-www-form-urlencoded").payloadAsJSON)
        #expect(JSONValue(parsing: form) == .object(["contentType": .string("application/x-www-form-urlencoded"), "body": .string("a=1&b=2")]))
        let broken = try #require(message(#"{"a": 1,}"#, contentType: "application/json").payloadAsJSON)
        #expect(JSONValue(parsing: broken)?.objectValue?["body"] == .string(#"{"a": 1,}"#))
        var binary = message("", contentType: "application/octet-stream")
        binary.payload = [0xFF, 0x00, 0xFE]
        let wrapped = try #require(binary.payloadAsJSON)
        #expect(JSONValue(parsing: wrapped)?.objectValue?["bodyBase64"] == .string("/wD+"))
        // Valid UTF-8 full of control characters goes as base64 too: escaped, each byte would take six.
        var controls = message("", contentType: "text/plain")
        controls.payload = [0x01, 0x02, 0x41]
        #expect(JSONValue(parsing: try #require(controls.payloadAsJSON))?.objectValue?["bodyBase64"] == .string("AQJB"))
    }
}
