import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a host name (or a numeric host in any spelling) into addresses. Injected so tests can answer anything.
public protocol HostResolver: Sendable {
    func resolve(host: String) async throws -> [IPAddress]
}

/// The system resolver (`getaddrinfo`), run off the cooperative pool because it blocks.
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func resolve(host: String) async throws -> [IPAddress] {
        var name = host
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        let lookup = name
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_family = AF_UNSPEC
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var results: UnsafeMutablePointer<addrinfo>?
                let status = getaddrinfo(lookup, nil, &hints, &results)
                guard status == 0, let first = results else {
                    continuation.resume(throwing: ResolutionError(host: lookup))
                    return
                }
                defer { freeaddrinfo(first) }
                var addresses: [IPAddress] = []
                var cursor: UnsafeMutablePointer<addrinfo>? = first
                while let entry = cursor {
                    if let socketAddress = entry.pointee.ai_addr, let address = IPAddress(socketAddress: socketAddress),
                        !addresses.contains(address)
                    {
                        addresses.append(address)
                    }
                    cursor = entry.pointee.ai_next
                }
                continuation.resume(returning: addresses)
            }
        }
    }
}

/// A host name that did not resolve.
public struct ResolutionError: Error, Sendable {
    public var host: String

    public init(host: String) {
        self.host = host
    }
}
