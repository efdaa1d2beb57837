import AsyncHTTPClient
import HeraldCore
import Synchronization

/// HTTP clients that connect a host name only to the address the SSRF guard vetted.
///
/// AsyncHTTPClient has no per-request resolver, but a client's `dnsOverride` maps a host to an address while keeping
/// TLS SNI and certificate checks bound to the name. So there is one client per (host, vetted address), each with
/// its own connection pool, kept while in use and evicted least-recently-used beyond `capacity`.
final class PinnedClients: Sendable {
    private struct Entry {
        let client: HTTPClient
        var lastUsed: UInt64
    }

    private struct State {
        var clients: [String: Entry] = [:]
        var clock: UInt64 = 0
        var retired: [(client: HTTPClient, at: ContinuousClock.Instant)] = []
    }

    private let state = Mutex(State())
    private let configuration: @Sendable ([String: String]) -> HTTPClient.Configuration
    private let capacity: Int

    init(capacity: Int = 512, configuration: @escaping @Sendable (_ dnsOverride: [String: String]) -> HTTPClient.Configuration) {
        self.capacity = capacity
        self.configuration = configuration
    }

    /// The client for `host` pinned to `address`.
    func client(host: String, address: IPAddress) -> HTTPClient {
        let key = host + "|" + address.description
        return state.withLock { state -> HTTPClient in
            state.clock += 1
            if var entry = state.clients[key] {
                entry.lastUsed = state.clock
                state.clients[key] = entry
                return entry.client
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration([host: address.description]))
            state.clients[key] = Entry(client: client, lastUsed: state.clock)
            if state.clients.count > capacity, let oldest = state.clients.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                state.clients[oldest.key] = nil
                // Requests may still be running on an evicted client; it is shut down once any request it could
                // be running has timed out.
                state.retired.append((oldest.value.client, .now))
            }
            let expired = state.retired.filter { ContinuousClock.now - $0.at > .seconds(90) }
            state.retired.removeAll { ContinuousClock.now - $0.at > .seconds(90) }
            for retired in expired {
                retired.client.shutdown { _ in }
            }
            return client
        }
    }

    func shutdown() async throws {
        let clients = state.withLock { state -> [HTTPClient] in
            defer {
                state.clients.removeAll()
                state.retired.removeAll()
            }
            return state.clients.values.map(\.client) + state.retired.map(\.client)
        }
        for client in clients {
            try await client.shutdown()
        }
    }
}
