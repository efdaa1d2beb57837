import HeraldCore

/// A backend that runs SQL: it provides the dialect, a way to read and a way to write, and gets from this target
/// every store operation both dialects share (`SQLStore+*.swift`). What truly differs stays in each backend: message
/// writes and fan-out, claims and results, the polling feed, idempotency keys, migrations.
public protocol SQLStore: HeraldStore {
    associatedtype Row: StoredRow
    var dialect: SQLDialect { get }
    /// Seals endpoint secrets and headers at rest.
    var sealer: SecretSealer { get }
    /// Runs `statements` against one consistent view where the backend offers it, and hands their rows to `decode`.
    func read<T: Sendable>(_ statements: [SQLStatement], decode: @escaping @Sendable ([[Row]]) throws -> T) async throws -> T
    /// Runs `statements` in one transaction; a uniqueness violation throws `conflict` when given. Returns the rows of
    /// the last statement, through `decode`.
    func write<T: Sendable>(
        _ statements: [SQLStatement],
        conflict: StorageError?,
        decode: @escaping @Sendable ([Row]) throws -> T
    ) async throws -> T
    /// Runs `reads` in one transaction with queue bookkeeping's relaxed durability, locking the rows they select
    /// where rows lock, then the writes `plan` makes of their rows; returns the plan's value.
    func update<T: Sendable>(
        reading reads: [SQLStatement],
        plan: @escaping @Sendable ([[Row]]) throws -> (writes: [SQLStatement], value: T)
    ) async throws -> T
    /// Deliveries became due (wake this process's dispatcher and, where instances share the database, the others').
    func deliveriesBecameDue()
}

extension SQLStore {
    func statement(_ sql: String = "") -> SQLStatement {
        SQLStatement(dialect, sql)
    }

    func write(_ statements: [SQLStatement], conflict: StorageError? = nil) async throws {
        try await write(statements, conflict: conflict) { _ in () }
    }

    /// Runs `statements` in one transaction with queue bookkeeping's relaxed durability (`update`): for writes that a
    /// crash may lose without harm (parking, releases, hand-backs: a later sweep or a lease lapsing redoes them), so
    /// they never wait for a flush nor make the messages' commits behind them wait.
    func writeRelaxed(_ statements: [SQLStatement]) async throws {
        try await update(reading: []) { _ in (statements, ()) }
    }

    /// The rows of one statement, each decoded.
    func rows<T: Sendable>(_ statement: SQLStatement, _ decode: @Sendable @escaping (Row) throws -> T) async throws -> [T] {
        try await read([statement]) { results in try results[0].map(decode) }
    }

    public func checkHealth() async throws {
        _ = try await rows(statement("SELECT 1 AS one")) { try $0.integer("one") }
    }
}
