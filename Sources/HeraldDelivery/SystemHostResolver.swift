import HeraldCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system resolver (`getaddrinfo`). It blocks, so lookups run on a small pool of their own threads: off the
/// cooperative pool, and bounded — a flood of slow lookups queues here rather than spawning threads.
public struct SystemHostResolver: HostResolver {
    /// Four lookups at a time: each waits on the network, not the CPU. Started once, for the life of the process.
    static let lookups: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    public init() {}

    public func resolve(host: String) async throws -> [IPAddress] {
        var name = host
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        let lookup = name
        return try await Self.lookups.runIfActive {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var results: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(lookup, nil, &hints, &results)
            guard status == 0, let first = results else { throw ResolutionError(host: lookup) }
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
            return addresses
        }
    }
}
