import Foundation
import HeraldCore

extension JSONValue {
    /// Parses JSON bytes, or nil if they are not JSON.
    public init?(bytes: some Sequence<UInt8>) {
        self.init(parsing: Array(bytes))
    }

    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    public subscript(index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var int: Int? {
        if case .integer(let value) = self { return Int(value) }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var isNull: Bool { self == .null }
}
