import HeraldCore
import HeraldSQL
import PostgresNIO

/// Queue bookkeeping (claims, results, deferrals) commits with `synchronous_commit = off`: it survives a crash of
/// Herald, and a database crash can lose only the last moments of it — which means a resend, never a lost message.
/// Messages themselves always commit synchronously. `set_config(…, true)` scopes the setting to the statement's own
/// transaction, so it costs no extra round trip.
let relaxedCommit = "relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)"

extension PostgresStore {
    /// Leases due deliveries (`Statements.ClaimDeliveries`). `FOR UPDATE SKIP LOCKED` lets every instance claim at
    /// once without waiting on, or double-claiming, each other's rows; a dead holder's rows fall due again when their
    /// leases run out (`Lease`). Instances woken by the same news choose from the same window, and the one locking
    /// first takes what it chose: the others claim again at once, a bounded number of times, past its leases — or a
    /// short claim would read as an empty queue and the loser would sleep with deliveries due.
    func leaseDeliveries(
        limit: Int,
        now: Timestamp,
        leaseUntil: Timestamp,
        owner: String,
        room: EndpointRoom
    ) async throws
        -> [DeliveryTask]
    {
        var tasks: [DeliveryTask] = []
        var limit = limit
        var room = room
        var lost: [Int64] = []
        for _ in 0..<Self.claimRounds {
            let round = try await leaseRound(limit: limit, now: now, leaseUntil: leaseUntil, owner: owner, room: room, passingOver: lost)
            tasks += round.tasks
            limit -= round.taken.count
            let taken = Set(round.taken)
            lost += round.chosen.filter { !taken.contains($0) }
            guard round.taken.count < round.chosen.count, limit > 0 else { break }
            for task in round.tasks {
                room.claimed[task.endpointID, default: 0] += 1
                room.claimedByApp[task.appID, default: 0] += 1
            }
        }
        return tasks
    }

    /// Claims in a row after lost races, each passing over every delivery lost before.
    static let claimRounds = 3

    /// One claim: the deliveries leased (`taken`, some perhaps unreadable, so not in `tasks`) and the ids it chose.
    private func leaseRound(
        limit: Int,
        now: Timestamp,
        leaseUntil: Timestamp,
        owner: String,
        room: EndpointRoom,
        passingOver lost: [Int64]
    ) async throws
        -> (tasks: [DeliveryTask], taken: [Int64], chosen: [Int64])
    {
        let busy = room.busy
        var bindings = Bindings()
        bindings.add(leaseUntil.milliseconds)
        bindings.add(owner)
        bindings.add(now.milliseconds)
        bindings.add(room.full)
        bindings.add(limit)
        bindings.add(Array(busy.keys))
        bindings.add(busy.values.map(Int64.init))
        bindings.add(room.cap)
        let busyApps = room.busyApps
        bindings.add(room.fullApps)
        bindings.add(Array(busyApps.keys))
        bindings.add(busyApps.values.map(Int64.init))
        bindings.add(room.appCapBound)
        bindings.add(lost)
        let statement = bindings.statement(Statements.ClaimDeliveries.self)
        let sealer = self.sealer
        let logger = self.logger
        let rows = try await perform { client in try await client.rows(statement) }
        try ClaimColumn.check(rows.first)
        var chosen: [Int64] = []
        var claimed: [(id: Int64, row: PostgresRandomAccessRow)] = []
        var messages: [String: ClaimedMessage] = [:]
        for row in rows {
            if let ids = try row.value(.chosen, as: [Int64]?.self) { chosen = ids }
            guard let id = try row.value(.deliveryID, as: Int64?.self) else { continue }
            claimed.append((id, row))
            if try row.value(.carriesMessage) { messages[try row.value(.messageID)] = try ClaimedMessage(carrier: row) }
        }
        // In the order they were queued.
        claimed.sort { $0.id < $1.id }
        let tasks = ClaimedRows.tasks(claimed, logger: logger) { try DeliveryTask(row: $0.row, messages: messages, sealer: sealer) }
        return (tasks, claimed.map(\.id), chosen)
    }

    func recordDelivery(
        _ task: DeliveryTask,
        result: DeliveryResult,
        owner: String,
        now: Timestamp,
        disableAfterSeconds: Int64
    ) async throws -> DeliveryEffects {
        let outcome = DeliveryOutcome(trigger: task.triggerType, result: result, ordered: task.policy.isOrdered)
        if outcome.isRoutine {
            let entry = RoutineResult(deliveryID: task.deliveryID, result: result, outcome: outcome, owner: owner, now: now)
            try await results.submit(
                entry,
                splits: Self.causedByEntry,
                run: { entries in
                    try await self.recordRoutineResults(entries)
                    return entries.map { _ in () }
                }
            )
            return DeliveryEffects()
        }
        return try await transaction { connection in
            try await self.recordResult(
                task,
                result: result,
                outcome: outcome,
                owner: owner,
                now: now,
                disableAfterSeconds: disableAfterSeconds,
                connection: connection
            )
        }
    }

    /// Writes a batch of routine results — scheduled deliveries that succeeded, will retry, or ended without an
    /// attempt — in one statement (group commit, `StatementBatcher`).
    func recordRoutineResults(_ entries: [RoutineResult]) async throws {
        var columns = RoutineResultColumns()
        for entry in entries { columns.append(entry) }
        let statement = columns.bindings().statement(Statements.RoutineResults.self)
        _ = try await perform { client in try await client.rows(statement) }
    }

    /// The outcomes that are not routine (manual attempts, endpoints to disable, exhausted deliveries), in one
    /// transaction: the writes `DeliveryOutcome` and `AutoDisable` decide, as `DeliveryWrites` spells them.
    private func recordResult(
        _ task: DeliveryTask,
        result: DeliveryResult,
        outcome: DeliveryOutcome,
        owner: String,
        now: Timestamp,
        disableAfterSeconds: Int64,
        connection: PostgresConnection
    ) async throws -> DeliveryEffects {
        let logger = self.logger
        func rows(_ statement: SQLStatement) async throws -> [PostgresRandomAccessRow] {
            try await connection.rows(statement.query, logger: logger)
        }
        _ = try await connection.rows("SELECT set_config('synchronous_commit', 'off', true)", logger: logger)
        if let attempt = result.attempt {
            _ = try await rows(DeliveryWrites.insertAttempt(attempt, .postgres))
        }
        // A lease that ran out may have been taken over; the attempt is logged, the new holder owns the state.
        guard try await !rows(DeliveryWrites.leaseHeld(deliveryID: task.deliveryID, owner: owner, .postgres)).isEmpty else {
            return DeliveryEffects()
        }
        var effects = DeliveryEffects()
        if outcome.disablesEndpoint, try await !rows(DeliveryWrites.disableEndpoint(task.endpointID, now: now, .postgres)).isEmpty {
            effects.endpointDisabled = now
        }
        _ = try await rows(DeliveryWrites.change(outcome.row, deliveryID: task.deliveryID, now: now, .postgres))
        if outcome.settlesScheduledDelivery {
            _ = try await rows(DeliveryWrites.settleScheduledDelivery(messageID: task.messageID, endpointID: task.endpointID, now: now, .postgres))
        }
        if outcome.clearsFailureTracking {
            _ = try await rows(DeliveryWrites.clearFailureClock(endpointID: task.endpointID, .postgres))
        }
        if outcome.advancesOrder {
            for statement in OrderedDeliveries.advance(endpointID: task.endpointID, .postgres) { _ = try await rows(statement) }
        }
        if outcome.countsTowardAutoDisable {
            let clock = try await rows(DeliveryWrites.failureClock(endpointID: task.endpointID, .postgres)).first.map(DeliveryWrites.clock)
            switch AutoDisable.decide(clock: clock, now: now, disableAfterSeconds: disableAfterSeconds) {
            case .start(let start):
                _ = try await rows(DeliveryWrites.startFailureClock(endpointID: task.endpointID, start, replacing: clock, .postgres))
            case .wait:
                break
            case .disable(let since):
                if try await !rows(DeliveryWrites.disableEndpoint(task.endpointID, now: now, .postgres)).isEmpty {
                    effects.endpointDisabled = since
                }
            }
        }
        return effects
    }
}

/// One scheduled delivery's routine result (see `Statements.RoutineResults`): only what the statement writes, since a
/// batch copies its entries several times (a whole `DeliveryTask` cost a retain and a release of each of its
/// reference-counted fields).
struct RoutineResult: Sendable {
    var deliveryID: Int64
    var result: DeliveryResult
    var outcome: DeliveryOutcome
    var owner: String
    var now: Timestamp
}

/// The columns of `Statements.RoutineResults`, one array per column.
struct RoutineResultColumns {
    var hasAttempt: [Bool] = []
    var attemptID: [String] = []
    var messageID: [String] = []
    var endpointID: [String] = []
    var appID: [String] = []
    var url: [String] = []
    var hasResponse: [Bool] = []
    var response: [String] = []
    var statusCode: [Int] = []
    var durationMs: [Int64] = []
    var attemptStatus: [Int] = []
    var triggerType: [Int] = []
    var attemptAt: [Int64] = []
    var deliveryStatus: [Int] = []
    var nextAttemptAt: [Int64] = []
    var attemptsAdded: [Int] = []
    var owner: [String] = []
    var clearsFailures: [Bool] = []
    var deliveryID: [Int64] = []
    var updatedAt: [Int64] = []

    mutating func append(_ entry: RoutineResult) {
        // Routine outcomes always update the row (`DeliveryOutcome.isRoutine`).
        guard case .update(let status, let next, let attemptsAdded) = entry.outcome.row else { return }
        // Without an attempt its columns hold placeholders of the right types; the insert skips the row.
        let attempt = entry.result.attempt
        hasAttempt.append(attempt != nil)
        attemptID.append(attempt?.id ?? "")
        messageID.append(attempt?.messageID ?? "")
        endpointID.append(attempt?.endpointID ?? "")
        appID.append(attempt?.appID ?? "")
        url.append(attempt?.url ?? "")
        hasResponse.append(attempt?.response != nil)
        response.append(attempt?.response ?? "")
        statusCode.append(attempt?.responseStatusCode ?? 0)
        durationMs.append(attempt?.responseDurationMs ?? 0)
        attemptStatus.append(attempt?.status.rawValue ?? 0)
        triggerType.append(attempt?.triggerType.rawValue ?? 0)
        attemptAt.append(attempt?.createdAt.milliseconds ?? 0)
        deliveryStatus.append(status.rawValue)
        nextAttemptAt.append(next?.milliseconds ?? -1)
        self.attemptsAdded.append(attemptsAdded)
        owner.append(entry.owner)
        clearsFailures.append(entry.outcome.clearsFailureTracking)
        deliveryID.append(entry.deliveryID)
        updatedAt.append(entry.now.milliseconds)
    }

    func bindings() -> Bindings {
        var bindings = Bindings()
        bindings.add(hasAttempt)
        bindings.add(attemptID)
        bindings.add(messageID)
        bindings.add(endpointID)
        bindings.add(appID)
        bindings.add(url)
        bindings.add(hasResponse)
        bindings.add(response)
        bindings.add(statusCode)
        bindings.add(durationMs)
        bindings.add(attemptStatus)
        bindings.add(triggerType)
        bindings.add(attemptAt)
        bindings.add(deliveryStatus)
        bindings.add(nextAttemptAt)
        bindings.add(attemptsAdded)
        bindings.add(owner)
        bindings.add(clearsFailures)
        bindings.add(deliveryID)
        bindings.add(updatedAt)
        return bindings
    }
}
