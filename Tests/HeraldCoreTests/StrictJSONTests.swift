import HeraldCore
import Testing

@Suite struct StrictJSONTests {
    @Test(arguments: [
        #"{}"#, #"[]"#, #"{"a": [1, -0, 0.5, 1e5, 1E-5, 123456789012345678901234567890]}"#, #""x""#, "null", "  true \n",
        #"{"a": "\u00e9\ud83d\ude00\/\\\"\b\f\n\r\t"}"#, "{\"é\": \"日本\"}", #"{"a": {"b": {"c": []}}}"#, #"{"a": 1, "b": 1}"#,
    ])
    func strictTextPasses(text: String) {
        #expect(StrictJSON.validate(Array(text.utf8)) == nil)
    }

    @Test(arguments: [
        (#"{"a": 1,}"#, 8, "trailing comma"), (#"[1, 2,]"#, 6, "trailing comma"), (#"{"a": 01}"#, 7, "leading zero"),
        (#"{"a": NaN}"#, 6, "expected a value"), (#"{"a": 1, "\u0061": 2}"#, 9, "duplicate key"), (#"{"a": "\ud800"}"#, 7, "surrogate"),
        (#"{"a": "\udc00"}"#, 7, "surrogate"), ("{\"a\": \"\u{1}\"}", 7, "control character"), (#"{"a": 1} x"#, 9, "after the JSON value"),
        (#"{'a': 1}"#, 1, "string key"), (#"{"a": .5}"#, 6, "expected a value"), (#"{"a": 5.}"#, 8, "digit after"),
        (#"{"a": tru}"#, 6, "true, false or null"), (#"{"a": "\x41"}"#, 7, "invalid escape"), ("", 0, "end of input"),
    ])
    func nonStrictTextIsRefusedWithWhere(text: String, offset: Int, reason: String) throws {
        let failure = try #require(StrictJSON.validate(Array(text.utf8)))
        #expect(failure.offset == offset)
        #expect(failure.reason.contains(reason), "\(failure.reason)")
        #expect(failure.line == 1 && failure.column == offset + 1)
    }

    @Test func bytesThatAreNotUTF8TextAreRefused() {
        for bytes: [UInt8] in [
            [0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
            [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], [0x22, 0xE2, 0x82],
        ] {
            #expect(StrictJSON.validate(bytes) != nil, "\(bytes)")
        }
        #expect(StrictJSON.validate([0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22]) == nil)
    }

    @Test func nestingStopsAtTheLimitAndLinesAreCounted() throws {
        let deep = String(repeating: "[", count: StrictJSON.maxDepth) + String(repeating: "]", count: StrictJSON.maxDepth)
        #expect(StrictJSON.validate(Array(deep.utf8)) == nil)
        let deeper = "[" + deep + "]"
        #expect(StrictJSON.validate(Array(deeper.utf8))?.reason.contains("nested deeper") == true)
        let failure = try #require(StrictJSON.validate(Array("{\n  \"a\": 1,\n}".utf8)))
        #expect(failure.line == 3 && failure.column == 1)
    }
}
