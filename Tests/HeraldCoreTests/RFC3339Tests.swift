import HeraldCore
import Testing

@Suite struct RFC3339Tests {
    @Test func formatsUTCWithMilliseconds() {
        #expect(RFC3339.format(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(milliseconds: 1_787_306_400_123) == "2026-08-21T10:00:00.123Z")
    }

    @Test(arguments: [
        ("2026-08-21T10:00:00.123Z", Int64(1_787_306_400_123)),
        ("2026-08-21T10:00:00Z", 1_787_306_400_000),
        ("2026-08-21T10:00:00.123456", 1_787_306_400_123),
        ("2026-08-21T10:00:00", 1_787_306_400_000),
        ("2026-08-21T12:00:00+02:00", 1_787_306_400_000),
        ("2026-08-21T12:00:00 02:00", 1_787_306_400_000),
        ("2026-08-21T05:30:00-0430", 1_787_306_400_000),
        ("2026-08-21 10:00:00z", 1_787_306_400_000),
    ])
    func parsesTheFormsClientsSend(text: String, milliseconds: Int64) {
        #expect(RFC3339.parse(text) == milliseconds)
    }

    @Test(arguments: ["", "yesterday", "2026-13-01T00:00:00Z", "2026-08-21", "2026-08-21T10:00:00.Z", "2026-08-21T10:00:00+2"])
    func refusesWhatIsNotATimestamp(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
