import Foundation
import GRDB
import HeraldCore
import HeraldSQL

/// How the statements shared with PostgreSQL (`HeraldSQL`) run here.
extension SQLiteStore: SQLStore {
    public var dialect: SQLDialect { .sqlite }

    public func read<T: Sendable>(_ statements: [SQLStatement], decode: @escaping @Sendable ([[Row]]) throws -> T) async throws -> T {
        try await metrics.timeDatabase(.sqlite, .read) {
            try await pool.read { db in
                try decode(statements.map { statement in try Row.fetchAll(db, sql: statement.sql, arguments: statement.arguments) })
            }
        }
    }

    public func write<T: Sendable>(
        _ statements: [SQLStatement],
        conflict: StorageError?,
        decode: @escaping @Sendable ([Row]) throws -> T
    ) async throws -> T {
        let work: @Sendable (Database) throws -> T = { db in
            var last: [Row] = []
            for statement in statements {
                if statement.returnsRows {
                    last = try Row.fetchAll(db, sql: statement.sql, arguments: statement.arguments)
                } else {
                    try db.execute(sql: statement.sql, arguments: statement.arguments)
                    last = []
                }
            }
            return try decode(last)
        }
        return try await metrics.timeDatabase(.sqlite, .write) {
            guard let conflict else { return try await pool.write(work) }
            return try await write(conflict: conflict, work)
        }
    }

    public func update<T: Sendable>(
        reading reads: [SQLStatement],
        plan: @escaping @Sendable ([[Row]]) throws -> (writes: [SQLStatement], value: T)
    ) async throws -> T {
        try await metrics.timeDatabase(.sqlite, .write) {
            try await relaxedWrite { db in
                let rows = try reads.map { statement in
                    try Row.fetchAll(db, sql: statement.sql, arguments: statement.arguments)
                }
                let (writes, value) = try plan(rows)
                for statement in writes { try db.execute(sql: statement.sql, arguments: statement.arguments) }
                return value
            }
        }
    }

    public func deliveriesBecameDue() {
        newWork.signal()
    }
}

extension SQLStatement {
    var arguments: StatementArguments {
        StatementArguments(
            values.map { value -> (any DatabaseValueConvertible)? in
                switch value {
                case .text(let text): text
                case .integer(let number): number
                case .bool(let flag): flag
                case .bytes(let bytes): bytes.map { Data($0) }
                // The SQLite dialect binds lists element by element; an array never reaches this backend.
                case .textArray(let texts): JSONColumn.encode(texts)
                }
            }
        )
    }
}

extension Row: StoredRow {
    public func text(_ column: String) throws -> String { try decode(String.self, forColumn: column) }
    public func optionalText(_ column: String) throws -> String? { try decode(String?.self, forColumn: column) }
    public func integer(_ column: String) throws -> Int64 { try decode(Int64.self, forColumn: column) }
    public func optionalInteger(_ column: String) throws -> Int64? { try decode(Int64?.self, forColumn: column) }
    public func bool(_ column: String) throws -> Bool { try decode(Bool.self, forColumn: column) }

    public func optionalBytes(_ column: String) throws -> [UInt8]? {
        try decode(Data?.self, forColumn: column).map { Array($0) }
    }
}
