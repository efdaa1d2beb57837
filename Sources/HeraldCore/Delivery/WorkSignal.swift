import Synchronization

/// Wakes the tasks waiting for news the moment it happens: the dispatcher (new work, free capacity), so the hot path
/// never waits for a poll, and long-polls and streams of polling endpoints (new feed entries).
///
/// By default a signal sent while nobody waits is remembered, so a wake-up that races with going to sleep is never
/// lost (one dispatcher). With `remembering: false` nothing is kept: for many waiters that check for data before
/// they wait and wait with a timeout.
public final class WorkSignal: Sendable {
    private struct State {
        var pending = false
        var nextWaiterID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())
    private let remembering: Bool

    public init(remembering: Bool = true) {
        self.remembering = remembering
    }

    /// Wakes every waiter, or (when remembering) the next one to wait.
    public func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.waiters.isEmpty {
                state.pending = remembering
                return []
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether a signal was pending, which it no longer is: the caller acts on it instead of waiting.
    public func takePending() -> Bool {
        state.withLock { state in
            defer { state.pending = false }
            return state.pending
        }
    }

    /// Tasks waiting now (tests wait for a long-poll to be waiting rather than sleep).
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Returns at the next signal (at once if one is pending) or after `timeout`, whichever comes first.
    public func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal() async {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
