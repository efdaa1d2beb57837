import HeraldCore

/// The store operations whose time `herald_database_operation_duration_seconds` shows, timed around the work.
extension SQLiteStore {
    public func createMessage(_ message: Message, onlyTo endpointID: String?) async throws {
        try await metrics.timeDatabase(.sqlite, .messageCommit) { try await storeMessage(message, onlyTo: endpointID) }
    }

    public func claimDeliveries(
        limit: Int,
        now: Timestamp,
        leaseUntil: Timestamp,
        owner: String,
        room: EndpointRoom
    ) async throws -> [DeliveryTask] {
        try await metrics.timeDatabase(.sqlite, .claim) {
            try await leaseDeliveries(limit: limit, now: now, leaseUntil: leaseUntil, owner: owner, room: room)
        }
    }

    public func completeDelivery(
        _ task: DeliveryTask,
        result: DeliveryResult,
        owner: String,
        now: Timestamp,
        disableAfterSeconds: Int64
    ) async throws -> DeliveryEffects {
        try await metrics.timeDatabase(.sqlite, .resultCommit) {
            try await recordDelivery(task, result: result, owner: owner, now: now, disableAfterSeconds: disableAfterSeconds)
        }
    }
}
