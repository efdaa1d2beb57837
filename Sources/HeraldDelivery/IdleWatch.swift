import Synchronization

/// Tells waiters when the dispatcher has nothing left to do: a claim pass that began after they asked found nothing
/// to start while no delivery was being sent or recorded. With the clock held still (tests), nothing more happens
/// after that point until something new arrives, so a check that something did *not* happen needs no fixed sleep.
final class IdleWatch: Sendable {
    /// A claim pass under way: its number, and whether anything was being sent or recorded when it began.
    struct Pass {
        let number: Int
        let busyAtStart: Bool
    }

    private struct State {
        var passesBegun = 0
        /// Sends and recordings under way.
        var busy = 0
        var waiters: [(afterPass: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// A claim pass begins.
    func beginPass() -> Pass {
        state.withLock { state in
            state.passesBegun += 1
            return Pass(number: state.passesBegun, busyAtStart: state.busy > 0)
        }
    }

    /// `pass` started `started` deliveries (or let them back from parking) and left `queued` waiting for a slot;
    /// `failed` when its claim failed (a failing store is not an idle one). A pass that began while something was
    /// sent proves nothing even when that ended before it did: its claim saw the endpoint's slots taken and passed
    /// its due deliveries over. The last send's end wakes the loop for a pass that can tell. Returns how many waiters
    /// it answered.
    @discardableResult
    func endPass(_ pass: Pass, started: Int, queued: Int, failed: Bool) -> Int {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard started == 0, queued == 0, !failed, !pass.busyAtStart, state.busy == 0 else { return [] }
            let ready = state.waiters.filter { $0.afterPass < pass.number }.map(\.continuation)
            state.waiters.removeAll { $0.afterPass < pass.number }
            return ready
        }
        for continuation in ready { continuation.resume() }
        return ready.count
    }

    func begin() {
        state.withLock { $0.busy += 1 }
    }

    /// One send or recording ended; returns whether nothing is under way and someone waits (then the loop should
    /// make one more pass to confirm).
    func end() -> Bool {
        state.withLock { state in
            state.busy -= 1
            return state.busy == 0 && !state.waiters.isEmpty
        }
    }

    /// The loop has ended: nothing more will happen, so every waiter is answered.
    func finish() {
        let waiting = state.withLock { state in
            defer { state.waiters = [] }
            return state.waiters.map(\.continuation)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Waits for a pass that begins after this call to find nothing to do (or for the loop to end).
    func wait(wake: () -> Void) async {
        await withCheckedContinuation { continuation in
            state.withLock { $0.waiters.append((afterPass: $0.passesBegun, continuation: continuation)) }
            wake()
        }
    }
}
