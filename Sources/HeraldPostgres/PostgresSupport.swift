import HeraldCore
import Logging
import NIOCore
import PostgresNIO

extension PostgresClient {
    /// Every row of a statement that writes, returned only once its commit is done. PostgresNIO answers a query when
    /// its rows end (CommandComplete), but PostgreSQL commits a statement's implicit transaction at the Sync after it —
    /// flushing the WAL and, with synchronous replication, waiting for the standby — and says so with ReadyForQuery.
    /// A second query on the same connection starts only after that ReadyForQuery, so its answer means the commit is
    /// done; a commit that fails after CommandComplete ends the connection, and this throws. (Found by the failover
    /// test: a message answered 202 whose commit the killed primary never replicated.)
    func committedRows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await withConnection { connection in
            let rows = try await connection.rows(query, logger: connection.logger)
            try await connection.waitForCommit()
            return rows
        }
    }

    /// Every row of a query, with columns addressable by name.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await withConnection { connection in try await connection.rows(query, logger: connection.logger) }
    }

    /// Runs a statement whose rows, if any, do not matter.
    func run(_ query: PostgresQuery) async throws {
        _ = try await rows(query)
    }
}

extension PostgresConnection {
    /// Returns once the statement run last on this connection has committed (see `PostgresClient.committedRows`).
    func waitForCommit() async throws {
        try await run("SELECT 1", logger: logger)
    }

    /// Every row of a query, with columns addressable by name.
    ///
    /// The rows are gathered on the connection's event loop, each read asking for the next at once — never through
    /// PostgresNIO's async row sequence. There, rows wait between reads for their reader to ask for more, and
    /// PostgresNIO 1.33.2 ends the process if PostgreSQL closes the connection during that wait
    /// (`RowStreamStateMachine.channelReadComplete`: a server crash, restart or failover mid-result; found by the soak,
    /// `PostgresDroppedConnectionTests`). The query is sent and its reader attached in one event-loop turn, so no row
    /// can arrive before there is someone asking for it.
    ///
    /// A future does not heed cancellation, so an operation its deadline gave up on (`DeadlineWatchdog`) stops between
    /// statements instead: a transaction whose caller was answered 503 rolls back rather than committing later.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try Task.checkCancellation()
        let result = try await eventLoop.flatSubmit { self.query(query, logger: logger) }.get()
        try Task.checkCancellation()
        return result.rows.map { $0.makeRandomAccess() }
    }

    /// Runs a statement whose rows, if any, do not matter.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await rows(query, logger: logger)
    }
}

extension PostgresRandomAccessRow {
    /// The column's value; a column the row lacks throws (PostgresNIO's subscript would end the process).
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard contains(column) else { throw StorageError.unreadable("a row has no column \(column)") }
        return try self[column].decode(T.self)
    }

    func bytes(_ column: String) throws -> [UInt8]? {
        try value(column, as: ByteBuffer?.self).map { Array($0.readableBytesView) }
    }
}
