import Synchronization

/// The database did not answer in time.
struct DatabaseTimeout: Error {}

/// Bounds database operations in time. The caller gets its answer at the deadline even if the operation ignores
/// cancellation — a query stuck on a connection that died mid-flight must not hold an HTTP request, or a graceful
/// shutdown waiting for it, forever. One loop checks every deadline a few times a second, rather than a timer per
/// operation (timers cost more than the queries they guard).
final class DeadlineWatchdog: Sendable {
    private struct Watched {
        var deadline: ContinuousClock.Instant
        var expire: @Sendable () -> Void
    }

    private let watched = Mutex<(nextID: Int, entries: [Int: Watched])>((0, [:]))
    static let resolution = Duration.milliseconds(100)

    /// Expires overdue operations until cancelled.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.resolution)
            let now = ContinuousClock.now
            let overdue = watched.withLock { state -> [Watched] in
                let due = state.entries.filter { $0.value.deadline <= now }
                for id in due.keys { state.entries[id] = nil }
                return Array(due.values)
            }
            for entry in overdue { entry.expire() }
        }
    }

    private func forget(_ id: Int) {
        _ = watched.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Runs `operation`, throwing `DatabaseTimeout` (and cancelling it) if it has not finished after `timeout`.
    func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = DeadlineRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.begin(continuation)
                // Unstructured on purpose: a child task would make the caller wait for an operation that may never end.
                let work = Task {
                    do {
                        race.finish(.success(try await operation()))
                    } catch {
                        race.finish(.failure(error))
                    }
                }
                let id = watched.withLock { state -> Int in
                    state.nextID += 1
                    let expire: @Sendable () -> Void = {
                        if race.finish(.failure(DatabaseTimeout())) { work.cancel() }
                    }
                    state.entries[state.nextID] = Watched(deadline: .now + timeout, expire: expire)
                    return state.nextID
                }
                race.whenFinished { self.forget(id) }
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }
}

/// The first of an operation's result, its deadline and its caller's cancellation; the others are ignored.
final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var outcome: Result<T, any Error>?
        var onFinish: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func begin(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Runs `action` once the race is decided (at once if it already is).
    func whenFinished(_ action: @escaping @Sendable () -> Void) {
        let decided = state.withLock { state -> Bool in
            if state.outcome != nil { return true }
            state.onFinish = action
            return false
        }
        if decided { action() }
    }

    /// Settles the race with `outcome` unless it is already settled; returns whether this call settled it.
    @discardableResult
    func finish(_ outcome: Result<T, any Error>) -> Bool {
        let (continuation, onFinish, settled) = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?, Bool) in
            guard state.outcome == nil else { return (nil, nil, false) }
            state.outcome = outcome
            defer { (state.continuation, state.onFinish) = (nil, nil) }
            return (state.continuation, state.onFinish, true)
        }
        continuation?.resume(with: outcome)
        onFinish?()
        return settled
    }
}
