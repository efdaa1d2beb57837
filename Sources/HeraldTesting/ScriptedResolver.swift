import HeraldCore
import Synchronization

/// A resolver that answers as the test says, and counts how often each name was asked.
public final class ScriptedResolver: HostResolver {
    private let answers: @Sendable (String, Int) -> [IPAddress]
    private let calls = Mutex<[String: Int]>([:])

    /// `answers` gets the host and how many times it was asked before.
    public init(_ answers: @escaping @Sendable (_ host: String, _ previousCalls: Int) -> [String]) {
        self.answers = { host, count in answers(host, count).compactMap { IPAddress($0) } }
    }

    public func resolve(host: String) async throws -> [IPAddress] {
        let count = calls.withLock { calls -> Int in
            defer { calls[host, default: 0] += 1 }
            return calls[host, default: 0]
        }
        let addresses = answers(host, count)
        if addresses.isEmpty { throw ResolutionError(host: host) }
        return addresses
    }

    public func calls(for host: String) -> Int {
        calls.withLock { $0[host, default: 0] }
    }
}
