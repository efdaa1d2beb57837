import HTTPTypes
import HeraldCore
import Hummingbird
import Logging
import NIOCore

/// `x-request-id`.
let requestIDHeader = HTTPField.Name("x-request-id")!

/// Outermost middleware: gives every request an id — the caller's `x-request-id` when it is a sane token, else a new
/// one — returns it on the response (errors included) and puts it in every log line of the request; then logs the
/// request at debug level (method, path without query, status, duration).
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let id = Self.accepted(request.headers[requestIDHeader]) ?? Self.generate()
        var context = context
        context.logger[metadataKey: "herald.request_id"] = "\(id)"
        var response = try await next(request, context)
        response.headers[requestIDHeader] = id
        if context.logger.logLevel <= .debug {
            let elapsed = ContinuousClock.now - started
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            context.logger.debug(
                "request",
                metadata: [
                    "herald.method": "\(request.method.rawValue)",
                    "herald.path": "\(Self.loggable(request.uri.path))",
                    "herald.status": "\(response.status.code)",
                    "herald.duration_ms": "\((milliseconds * 10).rounded() / 10)",
                ]
            )
        }
        return response
    }

    /// The path as logged: an ingest URL's token is a credential (anyone holding it can post as the sender), so it is
    /// never written to a log.
    static func loggable(_ path: String) -> String {
        guard let ingest = path.range(of: "/ingest/") else { return path }
        return path[..<ingest.upperBound] + "…"
    }

    /// A caller's id is echoed only if it is 1 to 128 characters a log line and a header can carry as they are, and
    /// does not pose as one of Herald's own (`req_…`).
    static func accepted(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count), !value.hasPrefix("req_"),
            value.utf8.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || "-_.:/+=@".utf8.contains(byte)
            })
        else { return nil }
        return value
    }

    /// `req_` and 128 random bits in hex.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = String(generator.next() as UInt64, radix: 16)
        let low = String(generator.next() as UInt64, radix: 16)
        return "req_" + String(repeating: "0", count: 16 - high.count) + high + String(repeating: "0", count: 16 - low.count) + low
    }
}
