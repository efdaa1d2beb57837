import Synchronization

/// Tells waiters when the dispatcher has nothing left to do: a claim pass that began after they asked found nothing
/// to start while no delivery was being sent or recorded. With the clock held still (tests), nothing more happens
/// after that point until something new arrives, so a check that something did *not* happen needs no fixed sleep.
final class IdleWatch: Sendable {
    private struct State {
        var passesBegun = 0
        /// Sends and recordings under way.
        var busy = 0
        var waiters: [(afterPass: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// A claim pass begins; returns its number.
    func beginPass() -> Int {
        state.withLock { state in
            state.passesBegun += 1
            return state.passesBegun
        }
    }

    /// Pass `pass` started `started` deliveries and left `queued` waiting for a slot; `failed` when its claim failed
    /// (a failing store is not an idle one).
    func endPass(_ pass: Int, started: Int, queued: Int, failed: Bool) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard started == 0, queued == 0, !failed, state.busy == 0 else { return [] }
            let ready = state.waiters.filter { $0.afterPass < pass }.map(\.continuation)
            state.waiters.removeAll { $0.afterPass < pass }
            return ready
        }
        for continuation in ready { continuation.resume() }
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
