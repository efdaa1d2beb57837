import HeraldCore
import Hummingbird
import HummingbirdCore

/// Typed access to query parameters. Unknown parameters are ignored; malformed known ones are 422 with `loc: query`.
struct QueryParameters {
    let values: FlatDictionary<Substring, Substring>

    init(_ request: Request) {
        self.values = request.uri.queryParameters
    }

    func string(_ name: String) -> String? {
        values[name[...]].map { String($0) }
    }

    /// `true`/`false` (any case); absent → `defaultValue`.
    func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let raw = string(name) else { return defaultValue }
        switch raw.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw HeraldError.validation(loc: ["query", name], "value could not be parsed to a boolean", type: "type_error.bool")
        }
    }

    func int(_ name: String) throws -> Int? {
        guard let raw = string(name) else { return nil }
        guard let value = Int(raw) else {
            throw HeraldError.validation(loc: ["query", name], "value is not a valid integer", type: "type_error.integer")
        }
        return value
    }

    /// A list given comma-separated, repeated, or as `name[]`.
    func list(_ name: String) -> [String]? {
        let raw = values.getAll(name) + values.getAll(name + "[]")
        let items = raw.flatMap { $0.split(separator: ",") }.map { String($0) }.filter { !$0.isEmpty }
        return items.isEmpty ? nil : items
    }

    /// An RFC 3339 time, with or without offset.
    func timestamp(_ name: String) throws -> Timestamp? {
        guard let raw = string(name) else { return nil }
        guard let milliseconds = RFC3339.parse(raw) else {
            throw HeraldError.validation(loc: ["query", name], "invalid datetime format", type: "value_error.datetime")
        }
        return Timestamp(milliseconds: milliseconds)
    }

    /// `limit`: 1 to 250, 50 when absent.
    func limit() throws -> Int {
        let limit = try int("limit") ?? PageRequest.defaultLimit
        guard (1...PageRequest.maxLimit).contains(limit) else {
            throw HeraldError.validation(loc: ["query", "limit"], "limit must be between 1 and \(PageRequest.maxLimit)")
        }
        return limit
    }

    /// `limit`, `iterator` and `order` as one page request; `iterator` beginning with `-` pages backwards.
    func page(defaultOrder: SortOrder, orderable: Bool = true) throws -> PageRequest {
        let limit = try limit()
        var order = defaultOrder
        if orderable, let raw = string("order") {
            guard let parsed = SortOrder(rawValue: raw) else {
                throw HeraldError.validation(loc: ["query", "order"], "order must be 'ascending' or 'descending'")
            }
            order = parsed
        }
        var iterator = string("iterator").flatMap { $0.isEmpty ? nil : $0 }
        var backwards = false
        if let value = iterator, value.hasPrefix("-") {
            backwards = true
            iterator = String(value.dropFirst())
        }
        return PageRequest(limit: limit, iterator: iterator, backwards: backwards, order: order)
    }

    /// The filters of a message listing (newest first): page, `event_types`, `channel`, and the `before`/`after` window.
    func messageQuery(now: Timestamp) throws -> MessageQuery {
        let page = try page(defaultOrder: .descending, orderable: false)
        let range = ListWindow.idRange(prefix: .message, before: try timestamp("before"), after: try timestamp("after"), page: page, now: now)
        return MessageQuery(page: page, eventTypes: list("event_types"), channel: string("channel"), idRange: range)
    }
}
