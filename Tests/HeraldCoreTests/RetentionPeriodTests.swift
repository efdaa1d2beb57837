import HeraldCore
import Testing

@Suite struct RetentionPeriodTests {
    @Test func wholeNumbersWithAUnitParseAndPrintBack() throws {
        #expect(RetentionPeriod(parsing: "90d")?.seconds == Int64(7_776_000))
        #expect(RetentionPeriod(parsing: "12h")?.seconds == Int64(43_200))
        #expect(RetentionPeriod(parsing: "30m")?.seconds == 1_800)
        #expect(RetentionPeriod(parsing: "30s")?.seconds == 30)
        #expect(RetentionPeriod(parsing: "36500d")?.description == "36500d")
        #expect(RetentionPeriod(parsing: "120s")?.description == "2m")
        #expect(RetentionPeriod(parsing: "36h")?.description == "36h")
    }

    @Test func anythingElseIsRefusedWithoutTrapping() {
        for bad in ["", "d", "90", "-5d", "+5d", "0s", "5 d", "5D", "1.5h", "٣d", "36501d", "9223372036854775807d", "99999999999999999999s"] {
            #expect(RetentionPeriod(parsing: bad) == nil, "\(bad)")
        }
    }
}
