/// The order of a listing.
public enum SortOrder: String, Sendable, Hashable {
    case ascending
    case descending

    public var reversed: SortOrder { self == .ascending ? .descending : .ascending }
}

/// One page of a listing, as the Svix `ListResponse` asks for it: up to `limit` rows after `iterator` in `order`,
/// or, when `backwards` (a `prevIterator`), the rows before it, still returned in `order`.
public struct PageRequest: Sendable, Hashable {
    public static let defaultLimit = 50
    public static let maxLimit = 250

    public var limit: Int
    /// The sort key (id or name) of the row to continue after; nil for the first page.
    public var iterator: String?
    public var backwards: Bool
    public var order: SortOrder

    public init(limit: Int = PageRequest.defaultLimit, iterator: String? = nil, backwards: Bool = false, order: SortOrder) {
        self.limit = limit
        self.iterator = iterator
        self.backwards = backwards
        self.order = order
    }

    /// The order rows are read in: a backwards page reads away from the iterator, then flips.
    public var scanOrder: SortOrder { backwards ? order.reversed : order }

    /// How many rows a backend reads: one more than the page, to know whether another page exists.
    public var fetchLimit: Int { limit + 1 }

    /// Turns rows read in `scanOrder` (at most `fetchLimit`) into the page.
    public func page<Item>(fromScanned rows: [Item]) -> Page<Item> {
        var items = Array(rows.prefix(limit))
        if backwards { items.reverse() }
        return Page(items: items, done: rows.count <= limit)
    }
}

/// A page of rows and whether no further rows exist in the direction read.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var done: Bool

    public init(items: [Item], done: Bool) {
        self.items = items
        self.done = done
    }

    public func map<Other>(_ transform: (Item) throws -> Other) rethrows -> Page<Other> {
        Page<Other>(items: try items.map(transform), done: done)
    }
}
