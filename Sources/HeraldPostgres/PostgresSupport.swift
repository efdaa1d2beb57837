import HeraldCore
import Logging
import NIOCore
import PostgresNIO

extension PostgresRowSequence {
    /// Reads and discards every row, so the connection is free again.
    func drain() async throws {
        for try await _ in self {}
    }
}

extension PostgresClient {
    /// Every row of a query, with columns addressable by name.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await self.query(query) { rows.append(row.makeRandomAccess()) }
        return rows
    }
}

extension PostgresConnection {
    /// Every row of a query inside a transaction, with columns addressable by name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await self.query(query, logger: logger) { rows.append(row.makeRandomAccess()) }
        return rows
    }
}

extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    func timestamp(_ column: String) throws -> Timestamp {
        Timestamp(milliseconds: try value(column, as: Int64.self))
    }

    func bytes(_ column: String) throws -> [UInt8]? {
        try value(column, as: ByteBuffer?.self).map { Array($0.readableBytesView) }
    }
}

/// A statement assembled from parts (filters, paging), numbering its parameters as they are bound.
struct SQLBuilder {
    private(set) var sql: String
    private(set) var binds = PostgresBindings()

    init(_ sql: String) {
        self.sql = sql
    }

    mutating func append(_ text: String) {
        sql += text
    }

    /// Binds a value and returns its placeholder.
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Binds a value or NULL and returns its placeholder.
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value?) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Continues after the page's iterator, in its scan order, one row more than the page.
    mutating func appendPaging(column: String, page: PageRequest) {
        let ascending = page.scanOrder == .ascending
        if let iterator = page.iterator {
            append(" AND \(column) \(ascending ? ">" : "<") \(bind(iterator))")
        }
        append(" ORDER BY \(column) \(ascending ? "ASC" : "DESC") LIMIT \(bind(page.fetchLimit))")
    }

    /// Filters on the message's event type and channel (`alias` names the messages table).
    mutating func appendMessageFilters(eventTypes: [String]?, channel: String?, alias: String) {
        if let eventTypes, !eventTypes.isEmpty {
            append(" AND \(alias).event_type = ANY(\(bind(eventTypes)))")
        }
        if let channel {
            append(" AND \(alias).channels::jsonb ? \(bind(channel))")
        }
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
