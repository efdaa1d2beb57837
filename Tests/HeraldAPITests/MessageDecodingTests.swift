import Foundation
import HeraldCore
import NIOCore
import Testing

@testable import HeraldAPI

/// The hand-read path of message bodies against `JSONDecoder`: whatever it accepts, `JSONDecoder` decodes to the same
/// fields; whatever it declines goes to `JSONDecoder`.
@Suite struct MessageDecodingTests {
    static let bodies: [String] = [
        #"{"eventType":"a.b","payload":{"k":1}}"#,
        #" { "eventType" : "a.b" , "payload" : { "k" : [1, 2.5, -0, 1e10, 1E-2, true, false, null, "s\"\\\/\b\f\n\r\t\u00e9"] } } "#,
        #"{"eventType":"a.b","data":{"k":1}}"#,
        #"{"eventType":"a.b","payload":null,"data":{"k":1}}"#,
        #"{"eventType":"a.b","payload":{},"eventId":"evt-1","channels":["eu","us"],"payloadRetentionPeriod":30}"#,
        #"{"eventType":"a.b","payload":{},"eventId":null,"channels":null,"payloadRetentionPeriod":null,"application":null}"#,
        #"{"eventType":"a.b","payload":{},"channels":[]}"#,
        #"{"eventType":"a.b","payload":{},"unknown":{"deep":[[[]]]}}"#,
        #"{"eventType":"a.b","payload":{},"application":{"name":"x"}}"#,
        #"{"eventType":"a.\u0062","payload":{}}"#,
        #"{"eventType":"a.b","payload":{"text":"café"}}"#,
        #"{"eventType":"a.b","payload":{"s":"\ud83c\udf89"}}"#,
        #"{"eventType":"a.b","payload":[1]}"#,
        #"{"eventType":"a.b","payload":"text"}"#,
        #"{"eventType":1,"payload":{}}"#,
        #"{"payload":{}}"#,
        #"{"eventType":"a.b","payload":{},"payloadRetentionPeriod":-1}"#,
        #"{"eventType":"a.b","payload":{},"payloadRetentionPeriod":1.5}"#,
        #"{"eventType":"a.b","payload":{},"channels":["eu",1]}"#,
        #"{"eventType":"a.b","eventType":"c.d","payload":{}}"#,
        #"{"eventType":"a.b","payload":{"n":01}}"#,
        #"{"eventType":"a.b","payload":{"n":1.}}"#,
        #"{"eventType":"a.b","payload":{"n":-}}"#,
        #"{"eventType":"a.b","payload":{"n":tru}}"#,
        #"{"eventType":"a.b","payload":{"s":"\x"}}"#,
        #"{"eventType":"a.b","payload":{"s":"\u12"}}"#,
        "{\"eventType\":\"a.b\",\"payload\":{\"s\":\"tab\tinside\"}}",
        #"{"eventType":"a.b","payload":{"k":1,}}"#,
        #"{"eventType":"a.b","payload":{"k":1}} trailing"#,
        #"{"eventType":"a.b","payload":{"k":1}"#,
        #"{"eventType":"a.b","payload":{"k" 1}}"#,
        #"[{"eventType":"a.b","payload":{}}]"#,
        "",
        "{}",
    ]

    @Test(arguments: bodies)
    func handReadBodiesDecodeAsJSONDecoderDoes(body: String) throws {
        let bytes = Array(body.utf8)
        guard let members = JSONObjectScanner.members(of: bytes) else { return }
        #expect((try? JSONSerialization.jsonObject(with: Data(bytes))) != nil, "the scanner accepted invalid JSON")
        guard let plain = MessageIn(plain: members, in: bytes) else { return }
        let decoded = try RequestDecoding.decode(MessageIn.self, from: ByteBuffer(bytes: bytes))
        #expect(plain.eventType == decoded.eventType)
        #expect(plain.payloadIsObject == decoded.payloadIsObject)
        #expect(plain.eventId == decoded.eventId)
        #expect(plain.channels == decoded.channels)
        #expect(plain.payloadRetentionPeriod == decoded.payloadRetentionPeriod)
        #expect(decoded.application == nil)
        #expect(plain.payloadBytes != nil && plain.payloadBytes == decoded.rawPayload(in: bytes))
    }

    /// The plain bodies of the list above are the ones read by hand (so the test above compares something).
    @Test func theCommonShapesAreReadByHand() {
        let handRead = Self.bodies.prefix(8).filter { body in
            let bytes = Array(body.utf8)
            return JSONObjectScanner.members(of: bytes).flatMap { MessageIn(plain: $0, in: bytes) } != nil
        }
        #expect(handRead.count == 7)
    }
}
