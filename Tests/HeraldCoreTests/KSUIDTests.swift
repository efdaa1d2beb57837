import Testing

@testable import HeraldCore

@Suite struct KSUIDTests {
    @Test func idsArePrefixedBase62OfFixedLength() {
        let id = IDPrefix.message.makeID(timestampMs: 1_700_000_000_123)
        #expect(id.hasPrefix("msg_"))
        #expect(id.count == 4 + 27)
        #expect(id.dropFirst(4).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(IDPrefix.message.isID(id))
        #expect(!IDPrefix.message.isID("msg_short"))
        #expect(!IDPrefix.application.isID(id))
    }

    @Test func timestampsRoundTripToFourMilliseconds() {
        for milliseconds: Int64 in [1_400_000_000_000, 1_700_000_000_123, 2_000_000_000_999] {
            let id = KSUID.make(timestampMs: milliseconds)
            #expect(KSUID.timestampMs(of: id[...]) == milliseconds - milliseconds % 4)
        }
    }

    @Test func idsSortByTimeAndIncreaseWithinASlot() {
        let generator = KSUID.Generator()
        var previous = ""
        for _ in 0..<2000 {
            let id = generator.make(timestampMs: 1_700_000_000_000)
            #expect(id > previous)
            previous = id
        }
        #expect(generator.make(timestampMs: 1_700_000_000_100) > previous)
        #expect(KSUID.start(timestampMs: 1_700_000_000_000) < KSUID.make(timestampMs: 1_700_000_000_000))
        #expect(KSUID.start(timestampMs: 1_700_000_001_000) > KSUID.start(timestampMs: 1_700_000_000_996))
    }

    /// segmentio/ksuid's smallest and largest values, and random bytes through encode and decode.
    @Test func base62MatchesTheReferenceAndRoundTrips() {
        #expect(KSUID.encode([UInt8](repeating: 0, count: 20)) == "000000000000000000000000000")
        #expect(KSUID.encode([UInt8](repeating: 0xFF, count: 20)) == "aWgEPTl1tmebfsQzFP4bxwgy80V")
        for _ in 0..<200 {
            let bytes = (0..<20).map { _ in UInt8.random(in: 0...255) }
            #expect(KSUID.decode(KSUID.encode(bytes)[...]) == bytes)
        }
    }

    @Test func decodingRejectsWrongLengthAndAlphabet() {
        #expect(KSUID.timestampMs(of: "abc") == nil)
        #expect(KSUID.timestampMs(of: String(repeating: "-", count: 27)[...]) == nil)
        #expect(KSUID.timestampMs(of: String(repeating: "z", count: 27)[...]) == nil)
    }
}
