import HeraldCore
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system resolver (`getaddrinfo`). It blocks, so lookups run on a pool of their own threads: off the cooperative
/// pool, and bounded — a flood of slow lookups queues here rather than spawning threads. A lookup that has not answered
/// by `deadline` fails (its caller moves on; a lookup still queued by then is never started), so one tenant's
/// unanswering DNS costs the others a queue position, not minutes.
public struct SystemHostResolver: HostResolver {
    /// Sixteen lookups at a time: each waits on the network, not the CPU. Started once, for the life of the process.
    static let lookups: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    let deadline: TimeAmount

    /// `deadline` should be shorter than the connect timeout of the request the lookup is for.
    public init(deadline: Duration = .seconds(4)) {
        self.deadline = TimeAmount(deadline)
    }

    public func resolve(host: String) async throws -> [IPAddress] {
        var name = host
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        let lookup = name
        let timer = MultiThreadedEventLoopGroup.singleton.any()
        return try await withCheckedThrowingContinuation { continuation in
            let answer = FirstAnswer(continuation)
            let expiry = timer.scheduleTask(in: deadline) { answer.give(.failure(ResolutionError(host: lookup))) }
            Self.lookups.submit { state in
                guard state == .active, !answer.isGiven else {
                    answer.give(.failure(ResolutionError(host: lookup)))
                    return
                }
                answer.give(Result { try Self.addresses(of: lookup) })
                expiry.cancel()
            }
        }
    }

    /// `getaddrinfo`, each distinct address once.
    static func addresses(of lookup: String) throws -> [IPAddress] {
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
            if let socketAddress = entry.pointee.ai_addr, let address = IPAddress(socketAddress: socketAddress), !addresses.contains(address) {
                addresses.append(address)
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}

/// A continuation resumed by whichever answer comes first: the lookup's or its deadline's.
private final class FirstAnswer: Sendable {
    private let continuation: Mutex<CheckedContinuation<[IPAddress], any Error>?>

    init(_ continuation: CheckedContinuation<[IPAddress], any Error>) {
        self.continuation = Mutex(continuation)
    }

    var isGiven: Bool { continuation.withLock { $0 == nil } }

    func give(_ result: Result<[IPAddress], any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}
