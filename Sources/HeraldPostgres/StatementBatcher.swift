import HeraldCore
import Synchronization

/// Group commit: entries that arrive while a batch is being written go together into the next one, written by one
/// statement and one commit (accepted messages, routine delivery results). No task is spawned: the first caller leads
/// and writes its batch, then hands the lead to the first caller still waiting, so no caller serves others for longer
/// than one batch.
final class StatementBatcher<Entry: Sendable>: Sendable {
    private enum Turn {
        case done(Result<Void, any Error>)
        case lead
    }

    private struct Waiter {
        var entry: Entry
        var continuation: CheckedContinuation<Turn, Never>
    }

    private struct State {
        var waiting: [Waiter] = []
        var leading = false
    }

    private let state = Mutex(State())
    /// Most entries in one statement.
    let maxBatch: Int

    init(maxBatch: Int) {
        self.maxBatch = maxBatch
    }

    /// Records `entry`, in a batch written by `write` (the caller that leads the batch writes it). A batch the
    /// database refuses (`splits` says which errors those are: not an outage) is written again one entry at a time,
    /// so one bad entry — a receiver's bytes the column cannot hold, a duplicate event id — fails alone.
    func submit(_ entry: Entry, splits: (any Error) -> Bool, write: ([Entry]) async throws -> Void) async throws {
        let turn = await withCheckedContinuation { continuation in
            let lead = state.withLock { state -> Bool in
                if state.leading {
                    state.waiting.append(Waiter(entry: entry, continuation: continuation))
                    return false
                }
                state.leading = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        if case .done(let outcome) = turn { return try outcome.get() }

        let others = state.withLock { state -> [Waiter] in
            let batch = Array(state.waiting.prefix(maxBatch - 1))
            state.waiting.removeFirst(batch.count)
            return batch
        }
        let outcomes = await Self.write([entry] + others.map(\.entry), splits: splits, write: write)
        for (waiter, outcome) in zip(others, outcomes.dropFirst()) { waiter.continuation.resume(returning: .done(outcome)) }
        let next = state.withLock { state -> Waiter? in
            guard !state.waiting.isEmpty else {
                state.leading = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        try outcomes[0].get()
    }

    /// The outcome of each entry: the batch's, or each one's own when the batch was refused.
    private static func write(
        _ entries: [Entry],
        splits: (any Error) -> Bool,
        write: ([Entry]) async throws -> Void
    ) async -> [Result<Void, any Error>] {
        do {
            try await write(entries)
            return entries.map { _ in .success(()) }
        } catch  where entries.count > 1 && splits(error) {
            var outcomes: [Result<Void, any Error>] = []
            for entry in entries {
                do {
                    try await write([entry])
                    outcomes.append(.success(()))
                } catch {
                    outcomes.append(.failure(error))
                }
            }
            return outcomes
        } catch {
            return entries.map { _ in .failure(error) }
        }
    }
}
