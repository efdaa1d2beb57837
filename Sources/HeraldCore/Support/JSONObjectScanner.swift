/// A strict one-pass reader of a JSON object's top-level members, for hot request bodies where `JSONDecoder` costs
/// more than the rest of the request. It only answers for plain input — ASCII, no escapes in keys, no duplicate keys,
/// modest nesting — and returns nil for anything else, which the caller then decodes with `JSONDecoder` (so errors and
/// unusual input behave exactly as there). Everything it accepts is valid JSON (RFC 8259).
public struct JSONObjectScanner {
    /// A top-level member: its key and where its value's text is.
    public struct Member {
        public let key: String
        public let value: Range<Int>
    }

    private let bytes: [UInt8]
    private var index = 0
    private static let maxDepth = 64

    /// The members of `bytes` if it is a plain JSON object.
    public static func members(of bytes: [UInt8]) -> [Member]? {
        var scanner = JSONObjectScanner(bytes: bytes)
        return scanner.topLevel()
    }

    /// The text of a string value without escapes (`"…"`), or nil.
    public static func plainString(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.count >= 2, bytes.first == quote, bytes.last == quote else { return nil }
        let inner = bytes.dropFirst().dropLast()
        guard !inner.contains(backslash) else { return nil }
        return String(decoding: inner, as: UTF8.self)
    }

    /// The strings of an array of plain strings (`["a","b"]`), or nil.
    public static func plainStrings(_ bytes: ArraySlice<UInt8>) -> [String]? {
        let array = Array(bytes)
        var scanner = JSONObjectScanner(bytes: array)
        guard let elements = scanner.arrayElements() else { return nil }
        var strings: [String] = []
        for element in elements {
            guard let string = plainString(array[element]) else { return nil }
            strings.append(string)
        }
        return strings
    }

    /// A non-negative integer that fits an `Int` (`0`, `30`), or nil.
    public static func plainInteger(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18, bytes.allSatisfy({ $0 >= zero && $0 <= nine }) else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self))
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let zero = UInt8(ascii: "0")
    private static let nine = UInt8(ascii: "9")

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func topLevel() -> [Member]? {
        skipWhitespace()
        var members: [Member] = []
        // A set, not a search of the members: a body of a hundred thousand keys must cost linear time, not its square.
        var seen: Set<String> = []
        let plain = object(depth: 1) { key, value in
            guard let key = Self.plainString(key), seen.insert(key).inserted else { return false }
            members.append(Member(key: key, value: value))
            return true
        }
        skipWhitespace()
        return plain && index == bytes.count ? members : nil
    }

    /// Where each element of an array (the whole of `bytes`) is.
    private mutating func arrayElements() -> [Range<Int>]? {
        skipWhitespace()
        var elements: [Range<Int>] = []
        let plain = array(depth: 1) { elements.append($0) }
        skipWhitespace()
        return plain && index == bytes.count ? elements : nil
    }

    /// An object, handing each member's quoted key and value range to `member` (which may refuse it).
    private mutating func object(depth: Int, member: (ArraySlice<UInt8>, Range<Int>) -> Bool = { _, _ in true }) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            skipWhitespace()
            let keyStart = index
            guard string() else { return false }
            let keyEnd = index
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            let valueStart = index
            guard value(depth: depth + 1), member(bytes[keyStart..<keyEnd], valueStart..<index) else { return false }
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// An array, handing each element's range to `element`.
    private mutating func array(depth: Int, element: (Range<Int>) -> Void = { _ in }) -> Bool {
        guard take(UInt8(ascii: "[")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            skipWhitespace()
            let start = index
            guard value(depth: depth + 1) else { return false }
            element(start..<index)
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }

    private mutating func value(depth: Int) -> Bool {
        guard depth <= Self.maxDepth, index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return object(depth: depth)
        case UInt8(ascii: "["):
            return array(depth: depth)
        case Self.quote:
            return string()
        case UInt8(ascii: "t"):
            return literal("true")
        case UInt8(ascii: "f"):
            return literal("false")
        case UInt8(ascii: "n"):
            return literal("null")
        default:
            return number()
        }
    }

    /// A string of printable ASCII and valid escapes.
    private mutating func string() -> Bool {
        guard take(Self.quote) else { return false }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case Self.quote:
                return true
            case Self.backslash:
                guard index < bytes.count else { return false }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    // Surrogates are left to `JSONDecoder` (a lone one is invalid).
                    guard index + 4 <= bytes.count, bytes[index] != UInt8(ascii: "d"), bytes[index] != UInt8(ascii: "D"),
                        bytes[index..<(index + 4)].allSatisfy(Self.isHexDigit)
                    else { return false }
                    index += 4
                default:
                    return false
                }
            case 0x20..<0x7F:
                continue
            default:
                return false
            }
        }
        return false
    }

    private mutating func number() -> Bool {
        _ = take(UInt8(ascii: "-"))
        if take(Self.zero) {
        } else {
            guard digits() else { return false }
        }
        if take(UInt8(ascii: ".")) {
            guard digits() else { return false }
        }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits() else { return false }
        }
        return true
    }

    private mutating func digits() -> Bool {
        let start = index
        while index < bytes.count, bytes[index] >= Self.zero, bytes[index] <= Self.nine { index += 1 }
        return index > start
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = word.withUTF8Buffer { $0.elementsEqual(bytes[index..<(index + count)]) }
        if matches { index += count }
        return matches
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (zero...nine).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
