/// Turns a host name (or a numeric host in any spelling) into addresses. Injected so tests can answer anything.
public protocol HostResolver: Sendable {
    func resolve(host: String) async throws -> [IPAddress]
}

/// A host name that did not resolve.
public struct ResolutionError: Error, Sendable {
    public var host: String

    public init(host: String) {
        self.host = host
    }
}
