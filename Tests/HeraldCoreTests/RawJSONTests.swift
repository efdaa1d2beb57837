import HeraldCore
import Testing

@Suite struct RawJSONTests {
    @Test func findsTheMemberExactlyAsWritten() {
        let text = #"{"eventType":"a","payload" : { "x" : [1, {"}": "]"}], "y":"\"q\"" } , "z":1}"#
        let found = RawJSON.member("payload", in: Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
        #expect(found == #"{ "x" : [1, {"}": "]"}], "y":"\"q\"" }"#)
    }

    @Test func handlesEscapedKeysScalarsAndAbsence() {
        let text = #"{"a":1,"p\u0061yload":[true],"b":"s"}"#
        #expect(RawJSON.member("payload", in: Array(text.utf8)).map(Array.init) == Array("[true]".utf8))
        #expect(RawJSON.member("a", in: Array(text.utf8)).map(Array.init) == Array("1".utf8))
        #expect(RawJSON.member("missing", in: Array(text.utf8)) == nil)
        #expect(RawJSON.member("a", in: Array("[1]".utf8)) == nil)
    }
}
