import Testing

@testable import HeraldDelivery

/// Regression (CI, stop 39): `untilIdle` returned with one of an endpoint's deliveries unsent. A claim pass began while
/// the endpoint's last send was under way, so its claim passed the endpoint's due deliveries over; the send ended
/// before the pass did, and the pass was taken for an idle one.
@Suite struct IdleWatchTests {
    @Test func aPassThatBeganWhileSomethingWasSentAnswersNoWaiter() async {
        let idle = IdleWatch()
        let registered = AsyncStream<Void>.makeStream()
        idle.begin()
        async let waited: Void = idle.wait { registered.continuation.yield() }
        var iterator = registered.stream.makeAsyncIterator()
        await iterator.next()
        let busyPass = idle.beginPass()
        // The send ends during the pass: the loop is asked for one more pass.
        #expect(idle.end())
        #expect(idle.endPass(busyPass, started: 0, queued: 0, failed: false) == 0)
        let quietPass = idle.beginPass()
        #expect(idle.endPass(quietPass, started: 0, queued: 0, failed: false) == 1)
        await waited
    }

    @Test func aPassThatStartedOrLetBackDeliveriesIsNotIdle() async {
        let idle = IdleWatch()
        let registered = AsyncStream<Void>.makeStream()
        async let waited: Void = idle.wait { registered.continuation.yield() }
        var iterator = registered.stream.makeAsyncIterator()
        await iterator.next()
        let releasing = idle.beginPass()
        #expect(idle.endPass(releasing, started: 2, queued: 0, failed: false) == 0)
        let queueing = idle.beginPass()
        #expect(idle.endPass(queueing, started: 0, queued: 1, failed: false) == 0)
        let failing = idle.beginPass()
        #expect(idle.endPass(failing, started: 0, queued: 0, failed: true) == 0)
        let quiet = idle.beginPass()
        #expect(idle.endPass(quiet, started: 0, queued: 0, failed: false) == 1)
        await waited
    }
}
