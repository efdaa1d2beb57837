import HeraldCore
import HeraldSQL
import NIOCore
import PostgresNIO

/// How the statements shared with SQLite (`HeraldSQL`) run here.
extension PostgresStore: SQLStore {
    public var dialect: SQLDialect { .postgres }

    public func read<T: Sendable>(
        _ statements: [SQLStatement],
        decode: @escaping @Sendable ([[PostgresRandomAccessRow]]) throws -> T
    ) async throws -> T {
        let queries = statements.map(\.query)
        let results = try await metrics.timeDatabase(.postgres, .read) {
            try await perform { client in
                var results: [[PostgresRandomAccessRow]] = []
                for query in queries { results.append(try await client.rows(query)) }
                return results
            }
        }
        return try decoded { try decode(results) }
    }

    public func write<T: Sendable>(
        _ statements: [SQLStatement],
        conflict: StorageError?,
        decode: @escaping @Sendable ([PostgresRandomAccessRow]) throws -> T
    ) async throws -> T {
        let queries = statements.map(\.query)
        let last: [PostgresRandomAccessRow] = try await retryingLostLockRaces {
            try await metrics.timeDatabase(.postgres, .write) {
                if queries.count == 1 {
                    return try await perform(conflict: conflict) { client in try await client.committedRows(queries[0]) }
                } else {
                    let logger = self.logger
                    return try await transaction(conflict: conflict) { connection in
                        var rows: [PostgresRandomAccessRow] = []
                        for query in queries { rows = try await connection.rows(query, logger: logger) }
                        return rows
                    }
                }
            }
        }
        return try decoded { try decode(last) }
    }

    public func update<T: Sendable>(
        reading reads: [SQLStatement],
        plan: @escaping @Sendable ([[PostgresRandomAccessRow]]) throws -> (writes: [SQLStatement], value: T)
    ) async throws -> T {
        let queries = reads.map(\.query)
        let logger = self.logger
        // Bookkeeping of several instances (claims' hand-backs, parking, the sweeps) can lock the same delivery rows in
        // different orders; the writes are planned from the reads, so a rerun plans them afresh.
        return try await retryingLostLockRaces {
            try await metrics.timeDatabase(.postgres, .write) {
                try await transaction { connection in
                    _ = try await connection.rows("SELECT set_config('synchronous_commit', 'off', true)", logger: logger)
                    var results: [[PostgresRandomAccessRow]] = []
                    for query in queries { results.append(try await connection.rows(query, logger: logger)) }
                    let (writes, value) = try self.decoded { try plan(results) }
                    for statement in writes { _ = try await connection.rows(statement.query, logger: logger) }
                    return value
                }
            }
        }
    }

    /// Runs `body` again, a few times at most, when PostgreSQL ended its transaction as a deadlock or a serialization
    /// failure: the transaction rolled back whole and lost a race for locks, not its meaning, so running it again is
    /// running it once. (A client would otherwise see a 500 for two requests touching the same rows in turn.)
    func retryingLostLockRaces<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as PSQLError where attempt < 3 && Self.endedByLockOrder(error) {
                attempt += 1
            }
        }
    }

    /// A deadlock or serialization failure: the transaction lost a race for locks, not its meaning.
    static func endedByLockOrder(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// A value the driver cannot decode is damage in the database, not a failed request.
    private func decoded<T>(_ decode: () throws -> T) throws -> T {
        do {
            return try decode()
        } catch is PostgresDecodingError {
            throw StorageError.unreadable("a stored value could not be decoded")
        }
    }

    public func deliveriesBecameDue() {
        announceNewWork()
    }
}

extension SQLStatement {
    var query: PostgresQuery {
        var binds = PostgresBindings()
        for value in values {
            switch value {
            case .text(let text): binds.append(text)
            case .integer(let number): binds.append(number)
            case .bool(let flag): binds.append(flag)
            case .bytes(let bytes): binds.append(bytes.map { ByteBuffer(bytes: $0) })
            case .textArray(let texts): binds.append(texts)
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}

extension PostgresRandomAccessRow: StoredRow {
    public func text(_ column: String) throws -> String { try value(column) }
    public func optionalText(_ column: String) throws -> String? { try value(column) }
    public func integer(_ column: String) throws -> Int64 { try value(column) }
    public func optionalInteger(_ column: String) throws -> Int64? { try value(column) }
    public func bool(_ column: String) throws -> Bool { try value(column) }
    public func optionalBytes(_ column: String) throws -> [UInt8]? { try bytes(column) }
}
