#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as bytes: what the SSRF guard classifies (never the host string a URL spelled).
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    /// 16 bytes.
    case v6([UInt8])

    /// Parses the canonical numeric forms only (`inet_pton`): dotted-quad IPv4, or IPv6 with optional brackets and zone.
    public init?(_ text: some StringProtocol) {
        var value = String(text)
        if value.hasPrefix("["), value.hasSuffix("]") { value = String(value.dropFirst().dropLast()) }
        if let percent = value.firstIndex(of: "%") { value = String(value[..<percent]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, value, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, value, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
            return
        }
        return nil
    }

    /// The address inside a resolver result.
    public init?(socketAddress pointer: UnsafePointer<sockaddr>) {
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            let address = pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            self = .v4(UInt32(bigEndian: address))
        case AF_INET6:
            var address = pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            self = .v6(withUnsafeBytes(of: &address) { Array($0) })
        default:
            return nil
        }
    }

    /// The IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) carries.
    public var mappedIPv4: IPAddress? {
        guard case .v6(let bytes) = self, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
        return .v4(bytes[12..<16].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    /// The IPv4 address an IPv6 address of `form` carries at byte `offset` (NAT64, 6to4), or nil outside that network.
    func embeddedIPv4(in form: (network: IPNetwork, offset: Int)) -> IPAddress? {
        guard case .v6(let bytes) = self, form.network.contains(self), form.offset >= 0, form.offset + 4 <= bytes.count else { return nil }
        return .v4(bytes[form.offset..<(form.offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    /// Canonical text (`127.0.0.1`, `2001:db8::1`), which is also what Herald connects to.
    public var description: String {
        switch self {
        case .v4(let value):
            var address = in_addr(s_addr: value.bigEndian)
            var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
            return Self.text(of: buffer)
        case .v6(let bytes):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
            return Self.text(of: buffer)
        }
    }

    /// A NUL-terminated C string buffer as text.
    private static func text(of buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var bytes: [UInt8] {
        switch self {
        case .v4(let value): return [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        case .v6(let bytes): return bytes
        }
    }
}

/// An address range in CIDR form (`10.0.0.0/8`, `fc00::/7`).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        let maximum = address.bytes.count * 8
        let length = parts.count == 2 ? Int(parts[1]) : maximum
        guard let length, (0...maximum).contains(length) else { return nil }
        self.address = address
        self.prefixLength = length
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        let network = address.bytes
        let other = candidate.bytes
        guard network.count == other.count else { return false }
        var remaining = prefixLength
        for index in network.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if network[index] & mask != other[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// Whether `other` lies wholly inside this network (same family, a prefix at least as long, its address inside).
    public func contains(_ other: IPNetwork) -> Bool {
        other.prefixLength >= prefixLength && contains(other.address)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
