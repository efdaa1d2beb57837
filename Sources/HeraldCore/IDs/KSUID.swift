import Synchronization

/// A KSUID with millisecond precision, as Svix uses (`KsuidMs`): 4 bytes of seconds since the KSUID epoch,
/// 1 byte of sub-second time in 4 ms units, then 15 random bytes, written as 27 base62 characters.
///
/// Compared as strings, ids sort by creation time, which is what pagination and time windows rely on. An id made in
/// the same 4 ms slot as the generator's previous one is that one plus one, so rows created in a burst list in the
/// order they were made.
public enum KSUID {
    /// Seconds between the Unix epoch and the KSUID epoch.
    public static let epoch: Int64 = 1_400_000_000
    /// Length of the base62 form.
    public static let encodedLength = 27

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new id for `timestampMs` (milliseconds since the Unix epoch), from the process-wide generator.
    public static func make(timestampMs: Int64) -> String {
        shared.make(timestampMs: timestampMs)
    }

    private static let shared = Generator()

    /// Makes ids that increase within a 4 ms slot; one shared instance serves the process.
    public final class Generator: Sendable {
        private let last = Mutex<[UInt8]?>(nil)

        public init() {}

        public func make(timestampMs: Int64) -> String {
            let time = KSUID.timeBytes(timestampMs: timestampMs)
            let bytes = last.withLock { last -> [UInt8] in
                var next: [UInt8]
                if let previous = last, previous[0..<5].elementsEqual(time) {
                    next = previous
                    Self.increment(&next)
                } else {
                    var generator = SystemRandomNumberGenerator()
                    next = time
                    for _ in 0..<15 { next.append(UInt8.random(in: 0...255, using: &generator)) }
                }
                last = next
                return next
            }
            return KSUID.encode(bytes)
        }

        private static func increment(_ bytes: inout [UInt8]) {
            for index in bytes.indices.reversed() {
                bytes[index] &+= 1
                if bytes[index] != 0 { return }
            }
        }
    }

    /// The smallest id of `timestampMs`'s 4 ms slot: used to turn a time bound into an id bound.
    public static func start(timestampMs: Int64) -> String {
        var bytes = timeBytes(timestampMs: timestampMs)
        bytes.append(contentsOf: repeatElement(0, count: 15))
        return encode(bytes)
    }

    /// The time (milliseconds since the Unix epoch, to 4 ms) at which an encoded KSUID was made, or nil if it is not one.
    public static func timestampMs(of encoded: Substring) -> Int64? {
        guard let bytes = decode(encoded) else { return nil }
        let seconds = bytes[0..<4].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        return (seconds + epoch) * 1000 + Int64(bytes[4]) * 4
    }

    /// The first 5 bytes for a time, which is clamped to what a KSUID can hold (from the KSUID epoch to 2^32 seconds
    /// later): a time from a client (a `Last-Event-ID`, a `before`) must never reach the arithmetic out of range.
    static func timeBytes(timestampMs: Int64) -> [UInt8] {
        let clamped = min(max(timestampMs, epoch * 1000), (epoch + Int64(UInt32.max)) * 1000 + 999)
        let seconds = UInt32(clamping: clamped / 1000 - epoch)
        let subsecond = UInt8(clamping: (clamped % 1000) / 4)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        bytes.append(UInt8(truncatingIfNeeded: seconds >> 24))
        bytes.append(UInt8(truncatingIfNeeded: seconds >> 16))
        bytes.append(UInt8(truncatingIfNeeded: seconds >> 8))
        bytes.append(UInt8(truncatingIfNeeded: seconds))
        bytes.append(subsecond)
        return bytes
    }

    /// Base62 of a 20-byte big-endian number, left-padded with `0` to 27 characters. Long division by 62 over five
    /// 32-bit limbs: a quarter of the divisions of a byte-wise one (every message and attempt gets an id).
    static func encode(_ bytes: [UInt8]) -> String {
        var limbs = (0..<5).map { limb in
            bytes[(4 * limb)..<(4 * limb + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        var first = 0
        return String(unsafeUninitializedCapacity: encodedLength) { digits in
            var position = encodedLength
            while position > 0 {
                while first < limbs.count, limbs[first] == 0 { first += 1 }
                guard first < limbs.count else { break }
                var remainder: UInt64 = 0
                for index in first..<limbs.count {
                    let value = remainder << 32 | UInt64(limbs[index])
                    limbs[index] = UInt32(value / 62)
                    remainder = value % 62
                }
                position -= 1
                digits[position] = alphabet[Int(remainder)]
            }
            for index in 0..<position { digits[index] = alphabet[0] }
            return encodedLength
        }
    }

    static func decode(_ encoded: Substring) -> [UInt8]? {
        guard encoded.utf8.count == encodedLength else { return nil }
        var number = [UInt8](repeating: 0, count: 20)
        for character in encoded.utf8 {
            guard let digit = alphabet.firstIndex(of: character) else { return nil }
            var carry = digit
            for index in number.indices.reversed() {
                let value = Int(number[index]) * 62 + carry
                number[index] = UInt8(value & 0xFF)
                carry = value >> 8
            }
            guard carry == 0 else { return nil }
        }
        return number
    }
}
