import Foundation
import HeraldCore
import Testing

@testable import HeraldAPI

@Suite struct JSONWriterTests {
    /// Whatever a string holds, the text written parses back to the same string.
    @Test(arguments: ["plain", "quote \" backslash \\ slash /", "line\nfeed\r\ttab\u{08}\u{0C}", "\u{01}\u{1F}\u{7F}", "café 日本 🎉", ""])
    func stringsRoundTrip(value: String) throws {
        var writer = JSONWriter()
        writer.raw("[")
        writer.string(value)
        writer.raw("]")
        let parsed = try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String]
        #expect(parsed == [value])
    }

    /// A page of messages keeps the Svix `ListResponse` shape, each stored payload passed through as it is.
    @Test func aListOfMessagesIsTheSvixShape() throws {
        let payload = #"{ "big": 12345678901234567890, "text": "caf\u00e9" }"#
        let message = Message(
            id: "msg_1",
            appID: "app_1",
            eventType: "a.b",
            eventID: nil,
            channels: ["eu", "us"],
            payload: Array(payload.utf8),
            payloadExpiresAt: Timestamp(milliseconds: 2_000_000_000_000),
            createdAt: Timestamp(milliseconds: 1_700_000_000_000)
        )
        let page = Page(items: [message], done: true)
        var writer = JSONWriter()
        ListResponse(page: page, key: \.id) { MessageOut($0, withContent: true, now: $0.createdAt) }.write(to: &writer)
        #expect(
            String(decoding: writer.bytes, as: UTF8.self)
                == #"{"data":[{"id":"msg_1","eventType":"a.b","channels":["eu","us"],"payload":\#(payload),"timestamp":"2023-11-14T22:13:20.000Z"}],"iterator":"msg_1","prevIterator":"-msg_1","done":true}"#
        )
        writer = JSONWriter()
        ListResponse(page: Page<Message>(items: [], done: true), key: \.id) { MessageOut($0, withContent: true) }.write(to: &writer)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"data":[],"iterator":null,"done":true}"#)
    }
}
