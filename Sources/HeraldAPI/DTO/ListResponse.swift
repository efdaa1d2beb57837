import HeraldCore

/// The Svix `ListResponse`: `iterator` is the last item's key and is always present (null on an empty page, which
/// the SDK requires); `prevIterator` is `-` plus the first item's key.
struct ListResponse<Item> {
    var data: [Item]
    var iterator: String?
    var prevIterator: String?
    var done: Bool

    init<Row: Sendable>(page: Page<Row>, key: (Row) -> String, transform: (Row) throws -> Item) rethrows {
        self.data = try page.items.map(transform)
        self.iterator = page.items.last.map(key)
        self.prevIterator = page.items.first.map { "-" + key($0) }
        self.done = page.done
    }

}

extension ListResponse: Encodable where Item: Encodable {
    enum CodingKeys: String, CodingKey {
        case data, iterator, prevIterator, done
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(iterator, forKey: .iterator)
        try container.encodeIfPresent(prevIterator, forKey: .prevIterator)
        try container.encode(done, forKey: .done)
    }
}

extension ListResponse: JSONWritable where Item: JSONWritable {
    func write(to writer: inout JSONWriter) {
        writer.raw(#"{"data":["#)
        for (index, item) in data.enumerated() {
            if index > 0 { writer.raw(",") }
            item.write(to: &writer)
        }
        writer.raw("]")
        writer.key("iterator")
        writer.optionalString(iterator)
        if let prevIterator {
            writer.key("prevIterator")
            writer.string(prevIterator)
        }
        writer.key("done")
        writer.bool(done)
        writer.raw("}")
    }
}
