import Foundation

/// Why a call to an embedded Herald could not be made.
public enum HeraldKitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `run()` has ended (or failed before it was ready); calls are answered only while Herald runs.
    case stopped
    /// The route answers with a stream, which in-process calls do not read.
    case streamingRoute(String)
    /// An id, uid or name was empty.
    case emptyIdentifier
    /// `payloadJSON` is not exactly one JSON object.
    case payloadNotAJSONObject
    /// The route would end the token the Swift calls use (`/auth/logout`).
    case refusedRoute(String)
    /// A mount prefix must be a path such as `/herald` (not empty, not `/`, no `?` or `#`).
    case invalidPrefix(String)

    public var description: String {
        switch self {
        case .stopped: "Herald is not running: add it to a ServiceGroup and run the group"
        case .streamingRoute(let path): "\(path) answers with a stream; use it over HTTP"
        case .emptyIdentifier: "an id, uid or name is empty"
        case .payloadNotAJSONObject: "payloadJSON must be exactly one JSON object"
        case .refusedRoute(let path): "\(path) would log out the embedded Herald's own token"
        case .invalidPrefix(let prefix): "'\(prefix)' is not a mount prefix: use a path such as /herald"
        }
    }
}

/// An answer of Herald's API that is not a success, with the API's own error code and detail (as the Svix API
/// writes them: `{"code": …, "detail": …}`, or a list of field problems with status 422).
public struct HeraldAPIError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status the same request would have had.
    public let status: Int
    /// The error code (`not_found`, `conflict`, `validation`, …).
    public let code: String
    /// What was wrong, as text; for 422 the fields and their problems.
    public let detail: String

    init(status: Int, body: [UInt8]) {
        self.status = status
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        switch object?["detail"] {
        case let text as String:
            self.detail = text
        case let problems as [[String: Any]]:
            self.detail = problems.map { problem in
                let location = (problem["loc"] as? [Any])?.map { "\($0)" }.joined(separator: ".") ?? ""
                return "\(location): \(problem["msg"] as? String ?? "invalid")"
            }.joined(separator: "; ")
        default:
            self.detail = String(decoding: body, as: UTF8.self)
        }
        self.code = object?["code"] as? String ?? (status == 422 ? "validation" : "http_\(status)")
    }

    public var description: String { "Herald answered \(status) \(code): \(detail)" }
}
