import GRDB
import HeraldCore
import Synchronization

/// Group commit: writes that arrive while a transaction is running go together into the next one, and each caller is
/// answered once its batch is committed. One failing write (a duplicate `eventId`) fails only its own caller: the
/// batch is then written again with a savepoint per write. No task is spawned: GRDB's serial writer runs the batches, and the
/// completion of one schedules the next.
///
/// A `durable` batcher commits with `synchronous = FULL` (the fsync is done before anyone is answered); a relaxed one
/// with `NORMAL`, which survives a crash of the process but not a power cut — only for writes whose loss is repaired by
/// sending again (attempt results), never for accepted messages.
final class WriteBatcher<Input: Sendable, Output: Sendable>: Sendable {
    private struct Item: Sendable {
        var input: Input
        var continuation: CheckedContinuation<Output, any Error>
    }

    private struct State {
        var pending: [Item] = []
        var flushing = false
    }

    /// Most writes in one transaction.
    static var maxBatch: Int { 512 }

    private let state = Mutex(State())
    private let pool: DatabasePool
    private let durable: Bool
    private let write: @Sendable (Input, Database) throws -> Output

    init(pool: DatabasePool, durable: Bool, write: @escaping @Sendable (Input, Database) throws -> Output) {
        self.pool = pool
        self.durable = durable
        self.write = write
    }

    func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let lead = state.withLock { state -> Bool in
                state.pending.append(Item(input: input, continuation: continuation))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if lead { flush() }
        }
    }

    private func flush() {
        let batch = state.withLock { state -> [Item] in
            let batch = Array(state.pending.prefix(Self.maxBatch))
            state.pending.removeFirst(batch.count)
            if batch.isEmpty { state.flushing = false }
            return batch
        }
        guard !batch.isEmpty else { return }
        let write = self.write
        let durable = self.durable
        pool.asyncWriteWithoutTransaction { db in
            let outcome = Result { () -> [Result<Output, any Error>] in
                if !durable { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
                defer { if !durable { try? db.execute(sql: "PRAGMA synchronous = FULL") } }
                // Optimistically all or nothing, without a savepoint per write (two statements each); a batch with a
                // failing write is rolled back before its commit (no fsync spent) and written again write by write.
                var results: [Result<Output, any Error>] = []
                do {
                    try db.inTransaction {
                        results = try batch.map { .success(try write($0.input, db)) }
                        return .commit
                    }
                    return results
                } catch {
                    results = []
                }
                try db.inTransaction {
                    results = batch.map { item in
                        Result {
                            var output: Output?
                            try db.inSavepoint {
                                output = try write(item.input, db)
                                return .commit
                            }
                            return output!
                        }
                    }
                    return .commit
                }
                return results
            }
            switch outcome {
            case .success(let results):
                for (item, result) in zip(batch, results) { item.continuation.resume(with: result) }
            case .failure(let error):
                for item in batch { item.continuation.resume(throwing: error) }
            }
            self.flush()
        }
    }
}
