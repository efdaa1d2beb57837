import HeraldCore
import Testing

@Suite struct PagingTests {
    @Test func forwardPageTrimsTheExtraRow() {
        let request = PageRequest(limit: 2, order: .ascending)
        let page = request.page(fromScanned: [1, 2, 3])
        #expect(page.items == [1, 2])
        #expect(!page.done)
        #expect(request.page(fromScanned: [1, 2]).done)
    }

    @Test func backwardPageReadsAwayAndFlips() {
        let request = PageRequest(limit: 2, iterator: "k", backwards: true, order: .descending)
        #expect(request.scanOrder == .ascending)
        #expect(request.page(fromScanned: [5, 6, 7]).items == [6, 5])
    }

    @Test func windowLooksBackNinetyDaysAndNotFarIntoTheFuture() {
        let now = Timestamp(milliseconds: 1_700_000_000_000)
        let range = ListWindow.idRange(prefix: .message, before: nil, after: nil, page: PageRequest(order: .descending), now: now)
        #expect(range.lower == IDPrefix.message.startID(timestampMs: now.milliseconds - ListWindow.lookBackMs))
        #expect(range.upper == IDPrefix.message.startID(timestampMs: now.milliseconds + ListWindow.futureSlackMs))
        let bounded = ListWindow.idRange(
            prefix: .message,
            before: Timestamp(milliseconds: 1_600_000_000_000),
            after: Timestamp(milliseconds: 1_500_000_000_000),
            page: PageRequest(order: .descending),
            now: now
        )
        #expect(bounded.lower == IDPrefix.message.startID(timestampMs: 1_500_000_000_000))
        #expect(bounded.upper == IDPrefix.message.startID(timestampMs: 1_600_000_000_000))
    }
}
