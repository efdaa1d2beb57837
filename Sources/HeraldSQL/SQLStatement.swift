import HeraldCore

/// The two SQL dialects Herald speaks. They differ, for the statements written once in this target, only in how a
/// value is referred to and in two list and JSON tests; the rest is the SQL both understand.
public enum SQLDialect: Sendable {
    /// `?` placeholders; lists as `IN (?, …)`; JSON arrays read with `json_each`.
    case sqlite
    /// `$n` placeholders; lists bound as one array; JSON arrays read with `jsonb` operators.
    case postgres
}

extension SQLDialect {
    /// A NULL where a bytes column is expected (PostgreSQL types its NULLs).
    public var nullBytes: String { self == .postgres ? "NULL::bytea" : "NULL" }
}

/// A value bound to a statement.
public enum SQLValue: Sendable, Hashable {
    case text(String?)
    case integer(Int64?)
    case bool(Bool)
    case bytes([UInt8]?)
    /// One array parameter (PostgreSQL only: SQLite gets one placeholder per element).
    case textArray([String])
}

/// A statement and its values, assembled in the order they appear, with placeholders in the store's dialect.
public struct SQLStatement: Sendable {
    public let dialect: SQLDialect
    public private(set) var sql = ""
    public private(set) var values: [SQLValue] = []
    /// Whether the statement returns rows (a `SELECT`, or a write with `RETURNING`).
    public private(set) var returnsRows = false

    public init(_ dialect: SQLDialect, _ sql: String = "") {
        self.dialect = dialect
        self.sql = sql
        returnsRows = sql.hasPrefix("SELECT")
    }

    public mutating func append(_ text: String) {
        sql += text
    }

    /// Binds a value and returns its placeholder.
    public mutating func bind(_ value: SQLValue) -> String {
        values.append(value)
        switch dialect {
        case .sqlite: return "?"
        case .postgres: return "$\(values.count)"
        }
    }

    public mutating func bind(_ text: String?) -> String { bind(.text(text)) }
    public mutating func bind(_ number: Int64?) -> String { bind(.integer(number)) }
    public mutating func bind(_ number: Int?) -> String { bind(.integer(number.map { Int64(clamping: $0) })) }
    public mutating func bind(_ flag: Bool) -> String { bind(.bool(flag)) }
    public mutating func bind(_ time: Timestamp) -> String { bind(.integer(time.milliseconds)) }

    /// `column IN (…values)`, as the dialect binds a list.
    public mutating func isAny(of values: [String], _ column: String) -> String {
        switch dialect {
        case .sqlite: return "\(column) IN (\(values.map { bind($0) }.joined(separator: ", ")))"
        case .postgres: return "\(column) = ANY(\(bind(.textArray(values))))"
        }
    }

    /// Whether the JSON array text in `column` holds the string `value`.
    public mutating func jsonArray(_ column: String, contains value: String) -> String {
        switch dialect {
        case .sqlite: return "EXISTS (SELECT 1 FROM json_each(\(column)) WHERE json_each.value = \(bind(value)))"
        case .postgres: return "\(column)::jsonb ? \(bind(value))"
        }
    }

    /// Continues after the page's iterator in its scan order and reads one row more than the page (see `PageRequest`).
    public mutating func appendPaging(column: String, page: PageRequest) {
        let ascending = page.scanOrder == .ascending
        if let iterator = page.iterator {
            append(" AND \(column) \(ascending ? ">" : "<") \(bind(iterator))")
        }
        append(" ORDER BY \(column) \(ascending ? "ASC" : "DESC") LIMIT \(bind(page.fetchLimit))")
    }

    /// Filters on a message's event types and channel (`alias` names the messages table).
    public mutating func appendMessageFilters(eventTypes: [String]?, channel: String?, alias: String) {
        if let eventTypes, !eventTypes.isEmpty {
            append(" AND " + isAny(of: eventTypes, "\(alias).event_type"))
        }
        if let channel {
            append(" AND " + jsonArray("\(alias).channels", contains: channel))
        }
    }

    /// Ends a write with `RETURNING columns`, so it returns its rows.
    public mutating func returning(_ columns: String) {
        append(" RETURNING \(columns)")
        returnsRows = true
    }
}
