/// An endpoint's payload filter: a small subset of MongoDB's query language, evaluated against a message's JSON
/// payload at fan-out. A message that does not match creates no delivery for the endpoint.
///
/// A filter is an object. Each key is a dotted path into the payload (`data.amount`, `items.0.sku`), or one of
/// `$and`, `$or` (non-empty arrays of filters) and `$not` (a filter); all keys must hold. A path's value is either a
/// JSON value (equality) or an object of operators — `$eq`, `$ne`, `$in`, `$nin`, `$gt`, `$gte`, `$lt`, `$lte`,
/// `$exists`, `$not` (an object of operators) — all of which must hold. As in MongoDB, a numeric segment on an array is
/// an index, any other segment looks into each element, a condition on an array holds when it holds for an element (or, for equality, the whole array),
/// `null` equals a missing field, `$ne`/`$nin` hold for a missing one, and ordering compares numbers with numbers and
/// strings with strings only.
public struct PayloadFilter: Sendable, Hashable {
    /// Bounds on what one filter may hold, so evaluating it stays cheap whatever a tenant writes.
    public enum Limits {
        /// Paths, operators and compared values in all.
        public static let nodes = 64
        /// Nesting of `$and`, `$or` and `$not`.
        public static let depth = 8
        /// Segments in one dotted path.
        public static let pathSegments = 16
        /// Bytes in one key or one path.
        public static let keyLength = 256
        /// Values in one `$in`/`$nin` list, or filters in one `$and`/`$or`.
        public static let listLength = 256
        /// Bytes of the filter as JSON text.
        public static let encodedBytes = 8192
        /// Values one path may visit in a payload (a path through big or nested arrays stops there, unmatched).
        public static let visits = 10_000
    }

    /// The filter as written (stored, and returned by the policy route).
    public let source: JSONValue
    let root: Node

    indirect enum Node: Sendable, Hashable {
        case all([Node])
        case any([Node])
        case not(Node)
        case field(path: [String], Condition)
    }

    indirect enum Condition: Sendable, Hashable {
        case equals(JSONValue)
        case notEquals(JSONValue)
        case among([JSONValue])
        case notAmong([JSONValue])
        case ordered(Comparison, JSONValue)
        case exists(Bool)
        case not(Condition)
        case all([Condition])
    }

    enum Comparison: Sendable, Hashable {
        case greater, greaterOrEqual, less, lessOrEqual
    }

    /// Parses a filter; every problem is reported with its location under `loc`.
    public static func parse(_ source: JSONValue, at loc: [String]) throws(PayloadFilterIssues) -> PayloadFilter {
        var parser = Parser()
        let root = parser.filter(source, loc: loc, depth: 0)
        if let encoded = try? source.encodedJSON(), encoded.count > Limits.encodedBytes {
            parser.issues.append(ValidationIssue(loc: loc, msg: "must be at most \(Limits.encodedBytes) bytes as JSON"))
        }
        guard parser.issues.isEmpty, let root else { throw PayloadFilterIssues(issues: parser.issues) }
        return PayloadFilter(source: source, root: root)
    }

    /// Whether a payload matches.
    public func matches(_ payload: JSONValue) -> Bool {
        Self.evaluate(root, payload)
    }

    private static func evaluate(_ node: Node, _ payload: JSONValue) -> Bool {
        switch node {
        case .all(let nodes): return nodes.allSatisfy { evaluate($0, payload) }
        case .any(let nodes): return nodes.contains { evaluate($0, payload) }
        case .not(let inner): return !evaluate(inner, payload)
        case .field(let path, let condition):
            var found: [JSONValue] = []
            var budget = Limits.visits
            collect(path[...], in: payload, into: &found, budget: &budget)
            return holds(condition, found)
        }
    }

    /// The values at `path`: into objects by key, into arrays by index when the segment is one, and otherwise into
    /// each element that is an object. Each step spends one of `budget`; none left, the walk stops.
    private static func collect(_ path: ArraySlice<String>, in value: JSONValue, into found: inout [JSONValue], budget: inout Int) {
        guard budget > 0 else { return }
        budget -= 1
        guard let segment = path.first else {
            found.append(value)
            return
        }
        let rest = path.dropFirst()
        switch value {
        case .object(let fields):
            if let next = fields[segment] { collect(rest, in: next, into: &found, budget: &budget) }
        case .array(let elements):
            if let index = Int(segment) {
                if elements.indices.contains(index) { collect(rest, in: elements[index], into: &found, budget: &budget) }
            } else {
                for element in elements {
                    if case .object = element { collect(path, in: element, into: &found, budget: &budget) }
                }
            }
        default:
            break
        }
    }

    private static func holds(_ condition: Condition, _ found: [JSONValue]) -> Bool {
        switch condition {
        case .equals(let target): return equals(found, target)
        case .notEquals(let target): return !equals(found, target)
        case .among(let targets): return targets.contains { equals(found, $0) }
        case .notAmong(let targets): return !targets.contains { equals(found, $0) }
        case .exists(let wanted): return found.isEmpty != wanted
        case .not(let inner): return !holds(inner, found)
        case .all(let conditions): return conditions.allSatisfy { holds($0, found) }
        case .ordered(let comparison, let target):
            return found.contains { value in
                if case .array(let elements) = value { return elements.contains { ordered(comparison, $0, target) } }
                return ordered(comparison, value, target)
            }
        }
    }

    private static func equals(_ found: [JSONValue], _ target: JSONValue) -> Bool {
        if found.isEmpty { return target == .null }
        return found.contains { value in
            if same(value, target) { return true }
            if case .array(let elements) = value { return elements.contains { same($0, target) } }
            return false
        }
    }

    /// JSON equality, with 1 and 1.0 the same number.
    private static func same(_ left: JSONValue, _ right: JSONValue) -> Bool {
        if let order = numericOrder(left, right) { return order == 0 }
        switch (left, right) {
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { same(value, $0) } ?? false }
        default: return left == right
        }
    }

    private static func ordered(_ comparison: Comparison, _ value: JSONValue, _ target: JSONValue) -> Bool {
        let order: Int
        if let numeric = numericOrder(value, target) {
            order = numeric
        } else if case .string(let a) = value, case .string(let b) = target {
            order = a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : (a == b ? 0 : 1)
        } else {
            return false
        }
        switch comparison {
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        }
    }

    /// -1, 0 or 1 when both are numbers; integers compare exactly, mixed ones as doubles.
    private static func numericOrder(_ left: JSONValue, _ right: JSONValue) -> Int? {
        switch (left, right) {
        case (.integer(let a), .integer(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.integer(let a), .double(let b)): return compare(Double(a), b)
        case (.double(let a), .integer(let b)): return compare(a, Double(b))
        case (.double(let a), .double(let b)): return compare(a, b)
        default: return nil
        }
    }

    private static func compare(_ a: Double, _ b: Double) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
}

/// Why a filter was refused: every problem found, each located.
public struct PayloadFilterIssues: Error, Sendable {
    public var issues: [ValidationIssue]
}

extension PayloadFilter {
    /// Turns JSON into a filter tree, collecting every problem rather than stopping at the first.
    struct Parser {
        var issues: [ValidationIssue] = []
        var nodes = 0

        mutating func filter(_ value: JSONValue, loc: [String], depth: Int) -> Node? {
            guard depth <= Limits.depth else {
                issues.append(ValidationIssue(loc: loc, msg: "nests deeper than \(Limits.depth) levels"))
                return nil
            }
            guard case .object(let fields) = value else {
                issues.append(ValidationIssue(loc: loc, msg: "must be an object"))
                return nil
            }
            var parts: [Node] = []
            for key in fields.keys.sorted() {
                guard let field = fields[key], count(at: loc + [key]) else { continue }
                switch key {
                case "$and", "$or":
                    guard let list = field.arrayValue, !list.isEmpty, list.count <= Limits.listLength else {
                        issues.append(
                            ValidationIssue(loc: loc + [key], msg: "must be an array of 1 to \(Limits.listLength) filters")
                        )
                        continue
                    }
                    let children = list.enumerated().compactMap { filter($1, loc: loc + [key, String($0)], depth: depth + 1) }
                    if children.count == list.count { parts.append(key == "$and" ? .all(children) : .any(children)) }
                case "$not":
                    if let inner = filter(field, loc: loc + [key], depth: depth + 1) { parts.append(.not(inner)) }
                default:
                    guard let path = path(key, loc: loc + [key]) else { continue }
                    if let condition = condition(field, loc: loc + [key], depth: depth) { parts.append(.field(path: path, condition)) }
                }
            }
            return parts.count == 1 ? parts[0] : .all(parts)
        }

        /// Counts one node; false (and one issue) once the filter holds too many.
        private mutating func count(at loc: [String]) -> Bool {
            nodes += 1
            if nodes == Limits.nodes + 1 {
                issues.append(ValidationIssue(loc: loc, msg: "a filter may hold at most \(Limits.nodes) conditions"))
            }
            return nodes <= Limits.nodes
        }

        private mutating func path(_ key: String, loc: [String]) -> [String]? {
            let segments = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if key.hasPrefix("$") {
                issues.append(ValidationIssue(loc: loc, msg: "unknown operator; a filter's keys are paths or $and, $or, $not"))
            } else if key.utf8.count > Limits.keyLength || segments.count > Limits.pathSegments {
                issues.append(
                    ValidationIssue(loc: loc, msg: "paths have at most \(Limits.pathSegments) segments and \(Limits.keyLength) bytes")
                )
            } else if segments.contains(where: \.isEmpty) {
                issues.append(ValidationIssue(loc: loc, msg: "a path has no empty segments"))
            } else {
                return segments
            }
            return nil
        }

        /// A path's condition: a plain value means equality; an object whose keys all start with `$` holds operators.
        private mutating func condition(_ value: JSONValue, loc: [String], depth: Int) -> Condition? {
            guard case .object(let operators) = value, operators.keys.contains(where: { $0.hasPrefix("$") }) else {
                return checkedValue(value, loc: loc).map { .equals($0) }
            }
            guard operators.keys.allSatisfy({ $0.hasPrefix("$") }) else {
                issues.append(ValidationIssue(loc: loc, msg: "mixes operators with plain keys"))
                return nil
            }
            guard depth < Limits.depth else {
                issues.append(ValidationIssue(loc: loc, msg: "nests deeper than \(Limits.depth) levels"))
                return nil
            }
            var conditions: [Condition] = []
            for name in operators.keys.sorted() {
                guard let operand = operators[name] else { continue }
                if let condition = operation(name, operand, loc: loc + [name], depth: depth) { conditions.append(condition) }
            }
            guard conditions.count == operators.count else { return nil }
            return conditions.count == 1 ? conditions[0] : .all(conditions)
        }

        private mutating func operation(_ name: String, _ operand: JSONValue, loc: [String], depth: Int) -> Condition? {
            // Every operator counts, so the node limit bounds the work of evaluating the filter.
            guard count(at: loc) else { return nil }
            switch name {
            case "$eq": return checkedValue(operand, loc: loc).map { .equals($0) }
            case "$ne": return checkedValue(operand, loc: loc).map { .notEquals($0) }
            case "$in", "$nin":
                guard let list = operand.arrayValue, list.count <= Limits.listLength else {
                    issues.append(ValidationIssue(loc: loc, msg: "must be an array of at most \(Limits.listLength) values"))
                    return nil
                }
                let values = list.enumerated().compactMap { checkedValue($1, loc: loc + [String($0)]) }
                guard values.count == list.count else { return nil }
                return name == "$in" ? .among(values) : .notAmong(values)
            case "$gt", "$gte", "$lt", "$lte":
                switch operand {
                case .integer, .double, .string: break
                default:
                    issues.append(ValidationIssue(loc: loc, msg: "must be a number or a string"))
                    return nil
                }
                let comparison: Comparison =
                    switch name {
                    case "$gt": .greater
                    case "$gte": .greaterOrEqual
                    case "$lt": .less
                    default: .lessOrEqual
                    }
                return .ordered(comparison, operand)
            case "$exists":
                guard case .bool(let wanted) = operand else {
                    issues.append(ValidationIssue(loc: loc, msg: "must be true or false"))
                    return nil
                }
                return .exists(wanted)
            case "$not":
                guard case .object(let inner) = operand, !inner.isEmpty, inner.keys.allSatisfy({ $0.hasPrefix("$") }) else {
                    issues.append(ValidationIssue(loc: loc, msg: "must be an object of operators"))
                    return nil
                }
                return condition(operand, loc: loc, depth: depth + 1).map { .not($0) }
            default:
                issues.append(
                    ValidationIssue(
                        loc: loc,
                        msg: "unknown operator; use $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists or $not"
                    )
                )
                return nil
            }
        }

        /// A value compared against counts as one node (the byte limit bounds its size).
        private mutating func checkedValue(_ value: JSONValue, loc: [String]) -> JSONValue? {
            guard count(at: loc) else { return nil }
            return value
        }
    }
}
