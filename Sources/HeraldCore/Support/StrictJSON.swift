/// A strict RFC 8259 validator for every JSON body Herald accepts, run before anything is stored: whatever Herald keeps
/// and sends on (payloads byte for byte, metadata, headers, filters, schemas) parses in any strict reader.
///
/// Beyond the grammar (no trailing commas, no leading zeros, no `NaN` or `Infinity`, no comments, no control
/// characters in strings, nothing after the value), it decides what RFC 8259 leaves open, the way that leaves no two
/// readers disagreeing: text must be valid UTF-8 without a byte order mark; `\u` escapes must pair their surrogates;
/// an object may not repeat a key (readers differ on which one wins, and a signed payload must mean one thing); nesting
/// stops at `maxDepth`. Numbers of any size are accepted as written (they are kept as text).
public enum StrictJSON {
    /// Deepest nesting of arrays and objects accepted.
    public static let maxDepth = 256

    /// Why and where a text is not strict JSON.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Byte offset of the problem, 0-based.
        public var offset: Int
        /// 1-based line and column (in bytes) of the problem.
        public var line: Int
        public var column: Int
        public var reason: String

        public var description: String { "invalid JSON at line \(line), column \(column): \(reason)" }
    }

    /// Nil when `bytes` is one strict JSON value (surrounded by optional whitespace), else the first problem.
    public static func validate(_ bytes: [UInt8]) -> Failure? {
        var reader = Reader(bytes: bytes)
        do {
            reader.skipWhitespace()
            try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.index == bytes.count else { throw reader.failure("unexpected text after the JSON value") }
            return nil
        } catch let failure as Failure {
            return failure
        } catch {
            return reader.failure("invalid JSON")
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func failure(_ reason: String, at offset: Int? = nil) -> Failure {
            let position = min(offset ?? index, bytes.count)
            var line = 1
            var lineStart = 0
            for (offset, byte) in bytes[..<position].enumerated() where byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = offset + 1
            }
            return Failure(offset: position, line: line, column: position - lineStart + 1, reason: reason)
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws {
            guard current == byte else { throw failure(current == nil ? "unexpected end of input, expected \(what)" : "expected \(what)") }
            index += 1
        }

        mutating func value(depth: Int) throws {
            guard let byte = current else { throw failure("unexpected end of input, expected a value") }
            switch byte {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): _ = try string(collect: false)
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            case 0xEF where bytes[index...].starts(with: [0xEF, 0xBB, 0xBF]): throw failure("a byte order mark is not allowed")
            default:
                throw failure("expected a value (an object, array, string, number, true, false or null)")
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard bytes[index...].starts(with: expected) else { throw failure("expected a value (true, false or null are lowercase words)") }
            index += expected.count
        }

        mutating func object(depth: Int) throws {
            guard depth <= StrictJSON.maxDepth else { throw failure("nested deeper than \(StrictJSON.maxDepth) levels") }
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return
            }
            // Few keys are compared one by one (no hashing, no allocation); many go into a set.
            var keys: [ArraySlice<UInt8>] = []
            var keySet: Set<ArraySlice<UInt8>>?
            while true {
                let keyStart = index
                guard current == UInt8(ascii: "\"") else {
                    throw failure(current == UInt8(ascii: "}") ? "trailing comma before '}'" : "expected a string key in double quotes")
                }
                let key = try string(collect: true)
                let repeated: Bool
                // Inserted in place (through the optional), never into a copy: a copy per key would make an object of
                // many keys cost the square of their number.
                if let inserted = keySet?.insert(key).inserted {
                    repeated = !inserted
                } else {
                    repeated = keys.contains(key)
                    keys.append(key)
                    if keys.count > 16 { keySet = Set(keys) }
                }
                guard !repeated else {
                    throw failure("duplicate key \"\(String(decoding: key, as: UTF8.self))\"", at: keyStart)
                }
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after the key")
                skipWhitespace()
                try value(depth: depth)
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    skipWhitespace()
                    continue
                }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return
            }
        }

        mutating func array(depth: Int) throws {
            guard depth <= StrictJSON.maxDepth else { throw failure("nested deeper than \(StrictJSON.maxDepth) levels") }
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                if current == UInt8(ascii: "]") { throw failure("trailing comma before ']'") }
                try value(depth: depth)
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    skipWhitespace()
                    continue
                }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return
            }
        }

        /// A number as RFC 8259 writes it: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        mutating func number() throws {
            if current == UInt8(ascii: "-") { index += 1 }
            guard let first = current, isDigit(first) else { throw failure("expected a digit") }
            index += 1
            if first == UInt8(ascii: "0"), let next = current, isDigit(next) { throw failure("a number may not have a leading zero") }
            while let byte = current, isDigit(byte) { index += 1 }
            if current == UInt8(ascii: ".") {
                index += 1
                guard let byte = current, isDigit(byte) else { throw failure("expected a digit after '.'") }
                while let byte = current, isDigit(byte) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard let byte = current, isDigit(byte) else { throw failure("expected a digit in the exponent") }
                while let byte = current, isDigit(byte) { index += 1 }
            }
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        /// A string; with `collect`, returns its content with escapes resolved (to compare keys) — the text itself when
        /// it has no escape, so most keys cost no allocation.
        mutating func string(collect: Bool) throws -> ArraySlice<UInt8> {
            index += 1
            let start = index
            var decoded: [UInt8]?
            while true {
                guard let byte = current else { throw failure("unterminated string") }
                switch byte {
                case UInt8(ascii: "\""):
                    let text = bytes[start..<index]
                    index += 1
                    return decoded.map { ArraySlice($0) } ?? text
                case UInt8(ascii: "\\"):
                    if collect, decoded == nil { decoded = Array(bytes[start..<index]) }
                    var scratch: [UInt8] = []
                    try escape(into: &scratch)
                    decoded?.append(contentsOf: scratch)
                case 0x00..<0x20:
                    throw failure("a control character (U+\(hex(byte))) must be escaped in a string")
                case 0x20..<0x80:
                    decoded?.append(byte)
                    index += 1
                default:
                    let sequenceStart = index
                    try utf8Sequence()
                    decoded?.append(contentsOf: bytes[sequenceStart..<index])
                }
            }
        }

        mutating func escape(into content: inout [UInt8]) throws {
            let start = index
            index += 1
            guard let byte = current else { throw failure("unterminated escape") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): content.append(byte)
            case UInt8(ascii: "b"): content.append(0x08)
            case UInt8(ascii: "f"): content.append(0x0C)
            case UInt8(ascii: "n"): content.append(0x0A)
            case UInt8(ascii: "r"): content.append(0x0D)
            case UInt8(ascii: "t"): content.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hexQuad()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                        throw failure("a high surrogate escape must be followed by a low one", at: start)
                    }
                    index += 2
                    let low = try hexQuad()
                    guard (0xDC00...0xDFFF).contains(low) else { throw failure("a high surrogate escape must be followed by a low one", at: start) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw failure("a low surrogate escape without a high one before it", at: start)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape", at: start) }
                content.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw failure("invalid escape '\\\(Character(Unicode.Scalar(byte)))'", at: start)
            }
        }

        mutating func hexQuad() throws -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = current else { throw failure("unterminated \\u escape") }
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw failure("a \\u escape needs four hex digits")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        /// One multi-byte UTF-8 sequence: shortest form, no surrogates, at most U+10FFFF.
        mutating func utf8Sequence() throws {
            let lead = bytes[index]
            let length: Int
            var range: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                range = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                range = 0x80...0x9F
            case 0xF0:
                length = 4
                range = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                range = 0x80...0x8F
            default: throw failure("invalid UTF-8")
            }
            guard index + length <= bytes.count else { throw failure("invalid UTF-8 (cut off)") }
            guard range.contains(bytes[index + 1]) else { throw failure("invalid UTF-8") }
            for offset in 2..<max(length, 2) where !(0x80...0xBF).contains(bytes[index + offset]) {
                throw failure("invalid UTF-8")
            }
            index += length
        }

        func hex(_ byte: UInt8) -> String {
            let digits = Array("0123456789ABCDEF")
            return "00" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
        }
    }
}
