import AsyncHTTPClient
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a request got no response, in short exact words — the same in the attempt log, the dashboard and
/// `herald listen` — instead of a transport library's description of its own state.
public enum TransportFailure {
    public static func phrase(for error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .readTimeout, .deadlineExceeded: return "timed out"
            case .remoteConnectionClosed: return "connection closed by the receiver before it answered"
            case .invalidURL, .emptyHost, .emptyScheme: return "invalid URL"
            default: return "request failed: \(error.shortDescription)"
            }
        }
        if let error = error as? IOError { return phrase(errno: error.errnoCode) }
        // `NIOConnectionError` (every address tried failed): the first address's own error says it best.
        if let first = Mirror(reflecting: error).children.first(where: { $0.label == "connectionErrors" }).flatMap({ children in
            Mirror(reflecting: children.value).children.first
        }), let inner = Mirror(reflecting: first.value).children.first(where: { $0.label == "error" })?.value as? any Error {
            return phrase(for: inner)
        }
        let type = String(describing: Swift.type(of: error))
        if type.contains("SSL") || type.contains("TLS") || type.contains("Certificate") {
            return "TLS failed: \(String(describing: error))"
        }
        if type.contains("ChannelError") { return "connection failed: \(String(describing: error))" }
        return "request failed: \(String(describing: error))"
    }

    static func phrase(errno code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset by the receiver"
        case ETIMEDOUT: return "connection timed out"
        case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
        case EPIPE: return "connection closed by the receiver"
        default: return "connection failed (errno \(code))"
        }
    }
}
