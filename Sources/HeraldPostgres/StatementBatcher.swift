import HeraldCore
import Synchronization

/// Group commit (and group reads): entries that arrive while a batch is being run go together into the next one, run
/// as one statement (accepted messages and one commit, routine delivery results, token revocation lookups). The first
/// caller leads and runs its batch, then hands the lead to the first caller still waiting, so no caller serves others
/// for longer than one batch. An entry always joins a batch that starts after it arrived, so a read answers as of a
/// moment after its caller asked.
///
/// Bounded three ways: a batch holds at most `maxBatch` entries and `maxWeight` of their weight (a message's payload
/// bytes: 256 large messages must not make one statement of hundreds of megabytes), and at most `maxWaiting` entries
/// wait — beyond that the database is not keeping up, and the caller gets `StorageError.unavailable` (a 503) at once
/// rather than a place in a queue that only grows.
final class StatementBatcher<Entry: Sendable, Output: Sendable>: Sendable {
    /// What `run` does with a batch: one output per entry, in order.
    typealias Run = @Sendable ([Entry]) async throws -> [Output]

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
    let maxBatch: Int
    let maxWeight: Int
    let maxWaiting: Int
    private let weight: @Sendable (Entry) -> Int

    init(maxBatch: Int, maxWeight: Int = .max, maxWaiting: Int = 4096, weight: @escaping @Sendable (Entry) -> Int = { _ in 1 }) {
        self.maxBatch = max(1, maxBatch)
        self.maxWeight = maxWeight
        self.maxWaiting = max(1, maxWaiting)
        self.weight = weight
    }

    /// `entry`'s output, from a batch run by `run` (the caller that leads the batch runs it). A batch that fails with an
    /// error `splits` accepts — one caused by an entry, not by the database being away, a timeout or a cancellation —
    /// is run again one entry at a time, so that entry fails alone.
    func submit(_ entry: Entry, splits: @escaping @Sendable (any Error) -> Bool, run: @escaping Run) async throws -> Output {
        let turn = await withCheckedContinuation { continuation in
            let decided = state.withLock { state -> Turn? in
                if !state.leading {
                    state.leading = true
                    return .lead
                }
                guard state.waiting.count < maxWaiting else { return .done(.failure(StorageError.unavailable)) }
                state.waiting.append(Waiter(entry: entry, continuation: continuation))
                return nil
            }
            if let decided { continuation.resume(returning: decided) }
        }
        if case .done(let outcome) = turn { return try outcome.get() }

        let others = state.withLock { state -> [Waiter] in
            var total = weight(entry)
            var count = 0
            for waiter in state.waiting.prefix(maxBatch - 1) {
                let (sum, overflow) = total.addingReportingOverflow(weight(waiter.entry))
                total = overflow ? .max : sum
                guard total <= maxWeight else { break }
                count += 1
            }
            let batch = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return batch
        }
        let entries = [entry] + others.map(\.entry)
        // Unstructured on purpose: the batch is everyone's, so the leader's cancellation (its client gone, a stream
        // closing) must not fail the others' writes — nor cut off a commit that is already under way.
        let outcomes = await Task { await Self.run(entries, splits: splits, run: run) }.value
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
