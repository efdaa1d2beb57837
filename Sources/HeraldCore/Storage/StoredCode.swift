/// An enum stored as an integer column. SQL text names its values through `sql` (and lists through `sqlList`), so
/// each number is written once, in the enum's own definition.
public protocol StoredCode: RawRepresentable where RawValue == Int {}

extension StoredCode {
    /// The stored value as a SQL literal.
    public var sql: String { String(rawValue) }

    /// `(a, b, …)` for `IN` conditions.
    public static func sqlList(_ values: Self...) -> String {
        "(" + values.map(\.sql).joined(separator: ", ") + ")"
    }
}

extension MessageStatus: StoredCode {}
extension TriggerType: StoredCode {}
