import HeraldCore
import Synchronization
import Testing

@testable import HeraldPostgres

/// The batcher's bounds and hand-offs, without a database: `run` records the batches it is given.
@Suite struct StatementBatcherTests {
    /// Holds every batch until it is let through: `openNext` lets the oldest held one go, `open` every one from then on.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>], batches: [[Int]])>((false, [], []))

        func pass(_ batch: [Int]) async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state -> Bool in
                    state.batches.append(batch)
                    if !state.open { state.waiting.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }

        func openNext() {
            let next = state.withLock { state in state.waiting.isEmpty ? nil : state.waiting.removeFirst() }
            next?.resume()
        }

        func open() {
            let waiting = state.withLock { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }

        var batches: [[Int]] { state.withLock { $0.batches } }
    }

    /// Waits (polling) until `condition` holds, at most 5 s.
    static func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func batchesStayWithinTheirWeightAndEachEntryGetsItsOwnOutput() async throws {
        let batcher = StatementBatcher<Int, Int>(maxBatch: 100, maxWeight: 10) { $0 }
        let gate = Gate()
        let outputs = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            // The first leads and is held at the gate; the others queue behind it.
            for entry in [1, 4, 4, 4, 12, 1, 1] {
                group.addTask {
                    let output = try await batcher.submit(entry, splits: { _ in false }) { batch in
                        await gate.pass(batch)
                        return batch.map { $0 * 100 }
                    }
                    return (entry, output)
                }
                if entry == 1 { _ = try await Self.eventually { gate.batches.count == 1 } }
            }
            try await Task.sleep(for: .milliseconds(100))
            gate.open()
            return try await group.reduce(into: [(Int, Int)]()) { $0.append($1) }
        }
        #expect(outputs.allSatisfy { $0.1 == $0.0 * 100 })
        #expect(gate.batches.flatMap { $0 }.sorted() == [1, 1, 1, 4, 4, 4, 12])
        for batch in gate.batches where batch.count > 1 { #expect(batch.reduce(0, +) <= 10, "batch \(batch)") }
    }

    @Test func entriesBeyondTheWaitingBoundAreRefusedAtOnce() async throws {
        let batcher = StatementBatcher<Int, Int>(maxBatch: 4, maxWaiting: 2)
        let gate = Gate()
        let results = await withTaskGroup(of: Result<Int, any Error>.self) { group in
            for entry in 0..<5 {
                group.addTask {
                    do {
                        return .success(
                            try await batcher.submit(entry, splits: { _ in false }) { batch in
                                await gate.pass(batch)
                                return batch
                            }
                        )
                    } catch {
                        return .failure(error)
                    }
                }
                if entry == 0 { _ = try? await Self.eventually { gate.batches.count == 1 } }
            }
            // Two wait, two are refused; then the gate opens and everyone who waited is answered.
            try? await Task.sleep(for: .milliseconds(200))
            gate.open()
            return await group.reduce(into: [Result<Int, any Error>]()) { $0.append($1) }
        }
        let refused = results.filter { result in
            if case .failure(let error) = result { return (error as? StorageError) == .unavailable }
            return false
        }
        #expect(refused.count == 2)
        #expect(results.count(where: { (try? $0.get()) != nil }) == 3)
    }

    /// The leader's cancellation (its client gone) does not fail the batch it is running for the others.
    @Test func aCancelledLeaderStillRunsTheOthersBatch() async throws {
        let batcher = StatementBatcher<Int, Int>(maxBatch: 8)
        let gate = Gate()
        @Sendable func submit(_ entry: Int) async throws -> Int {
            try await batcher.submit(
                entry,
                splits: { _ in false },
                run: { batch in
                    await gate.pass(batch)
                    try Task.checkCancellation()
                    return batch
                }
            )
        }
        // 0 leads and is held; 1 and 2 queue behind it; 1 then leads the batch [1, 2] and is cancelled meanwhile.
        let first = Task { try await submit(0) }
        #expect(try await Self.eventually { gate.batches.count == 1 })
        let second = Task { try await submit(1) }
        try await Task.sleep(for: .milliseconds(100))
        let third = Task { try await submit(2) }
        try await Task.sleep(for: .milliseconds(100))
        gate.openNext()
        #expect(try await first.value == 0)
        #expect(try await Self.eventually { gate.batches.count == 2 })
        #expect(gate.batches.last == [1, 2])
        second.cancel()
        gate.openNext()
        #expect(try await second.value == 1)
        #expect(try await third.value == 2)
    }
}
