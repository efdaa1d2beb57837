import GRDB
import HeraldCore
import Synchronization

/// Group commit for message writes: messages that arrive while a commit is running are written together in the next
/// transaction — one fsync for the whole batch — and each caller is answered only once its batch is on disk.
///
/// Each message is written in its own savepoint, so one duplicate `eventId` fails only its own request. No task is
/// spawned: GRDB's serial writer runs the batches, and the completion of one schedules the next.
final class MessageBatcher: Sendable {
    struct Item: Sendable {
        var message: Message
        var onlyTo: String?
        var continuation: CheckedContinuation<Int, any Error>
    }

    private struct State {
        var pending: [Item] = []
        var flushing = false
    }

    /// Most messages written in one transaction.
    static let maxBatch = 512

    private let state = Mutex(State())
    private let pool: DatabasePool
    private let write: @Sendable (Message, String?, Database) throws -> Int

    /// `write` stores one message with its deliveries and says how many it queued.
    init(pool: DatabasePool, write: @escaping @Sendable (Message, String?, Database) throws -> Int) {
        self.pool = pool
        self.write = write
    }

    /// Stores the message durably; returns how many deliveries it queued.
    func submit(_ message: Message, onlyTo: String?) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let lead = state.withLock { state -> Bool in
                state.pending.append(Item(message: message, onlyTo: onlyTo, continuation: continuation))
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
        pool.asyncWrite(
            { db -> [Result<Int, any Error>] in
                batch.map { item in
                    Result {
                        var queued = 0
                        try db.inSavepoint {
                            queued = try write(item.message, item.onlyTo, db)
                            return .commit
                        }
                        return queued
                    }
                }
            },
            completion: { _, outcome in
                switch outcome {
                case .success(let results):
                    for (item, result) in zip(batch, results) { item.continuation.resume(with: result) }
                case .failure(let error):
                    for item in batch { item.continuation.resume(throwing: error) }
                }
                self.flush()
            })
    }
}
