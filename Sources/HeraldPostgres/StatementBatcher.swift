import HeraldCore
import Synchronization

/// Group commit (and group reads): entries that arrive while a batch is being run go together into the next one, run
/// as one statement (accepted messages and one commit, routine delivery results, token revocation lookups). No task is
/// spawned: the first caller leads and runs its batch, then hands the lead to the first caller still waiting, so no
/// caller serves others for longer than one batch. An entry always joins a batch that starts after it arrived, so a
/// read answers as of a moment after its caller asked.
final class StatementBatcher<Entry: Sendable, Output: Sendable>: Sendable {
    /// What `run` does with a batch: one output per entry, in order.
    typealias Run = ([Entry]) async throws -> [Output]

    private enum Turn {
        case done(Result<Output, any Error>)
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

    /// `entry`'s output, from a batch run by `run` (the caller that leads the batch runs it). A batch the database
    /// refuses (`splits` says which errors those are: not an outage) is run again one entry at a time, so one bad entry
    /// — a receiver's bytes the column cannot hold, a duplicate event id — fails alone.
    func submit(_ entry: Entry, splits: (any Error) -> Bool, run: Run) async throws -> Output {
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
        let outcomes = await Self.run([entry] + others.map(\.entry), splits: splits, run: run)
        for (waiter, outcome) in zip(others, outcomes.dropFirst()) { waiter.continuation.resume(returning: .done(outcome)) }
        let next = state.withLock { state -> Waiter? in
            guard !state.waiting.isEmpty else {
                state.leading = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return try outcomes[0].get()
    }

    /// The outcome of each entry: the batch's, or each one's own when the batch was refused.
    private static func run(_ entries: [Entry], splits: (any Error) -> Bool, run: Run) async -> [Result<Output, any Error>] {
        do {
            return try await outputs(of: entries, run).map { .success($0) }
        } catch  where entries.count > 1 && splits(error) {
            var outcomes: [Result<Output, any Error>] = []
            for entry in entries {
                do {
                    outcomes.append(.success(try await outputs(of: [entry], run)[0]))
                } catch {
                    outcomes.append(.failure(error))
                }
            }
            return outcomes
        } catch {
            return entries.map { _ in .failure(error) }
        }
    }

    /// `run`'s outputs, checked to be one per entry (a mismatch fails the batch rather than the process).
    private static func outputs(of entries: [Entry], _ run: Run) async throws -> [Output] {
        let outputs = try await run(entries)
        guard outputs.count == entries.count else {
            throw StorageError.unreadable("a batch of \(entries.count) gave \(outputs.count) outputs")
        }
        return outputs
    }
}
