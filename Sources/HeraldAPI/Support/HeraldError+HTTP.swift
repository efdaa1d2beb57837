import Foundation
import HeraldCore
import Hummingbird
import Logging
import NIOCore

/// The one place where errors become HTTP responses: `{code, detail}` for every status but 422, which carries
/// `{detail: [{loc, msg, type}]}` as the Svix API does.
enum ErrorResponses {
    static func status(of kind: HeraldError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .badRequest: return .badRequest
        case .unauthorized: return .unauthorized
        case .forbidden: return .forbidden
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .conflict: return .conflict
        case .payloadTooLarge: return .contentTooLarge
        case .validation: return .unprocessableContent
        case .serviceUnavailable: return .serviceUnavailable
        case .tooManyRequests: return .tooManyRequests
        case .notImplemented: return .notImplemented
        case .internalError: return .internalServerError
        }
    }

    static func response(for error: HeraldError) -> Response {
        let status = status(of: error.kind)
        let body: Data
        if error.kind == .validation {
            body = (try? JSONEncoder().encode(ValidationBody(detail: error.issues))) ?? Data()
        } else {
            body = (try? JSONEncoder().encode(CodeDetailBody(code: error.code, detail: error.detail))) ?? Data()
        }
        var response = JSONResponse.make(bytes: body, status: status)
        if error.kind == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer"
        }
        if let seconds = error.retryAfterSeconds {
            response.headers[.retryAfter] = String(seconds)
        }
        return response
    }

    /// Translates anything thrown below the HTTP layer into a `HeraldError`; unknown errors become a logged 500
    /// whose body says nothing about the cause.
    static func heraldError(from error: any Error, logger: Logger) -> HeraldError {
        switch error {
        case let error as HeraldError:
            if error.kind == .internalError {
                logger.error("internal error", metadata: ["herald.error": "\(String(reflecting: error))"])
            }
            return error
        case let error as DecodingError:
            return .validation([RequestDecoding.issue(for: error)])
        case is NIOTooManyBytesError:
            return HeraldError(kind: .payloadTooLarge, code: "payload_too_large", detail: "Request body is too large")
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound("Route not found")
            case .methodNotAllowed: return HeraldError(kind: .methodNotAllowed, code: "method_not_allowed", detail: "Method not allowed")
            case .contentTooLarge: return HeraldError(kind: .payloadTooLarge, code: "payload_too_large", detail: "Request body is too large")
            case .unauthorized: return .unauthorized()
            default:
                if (400..<500).contains(error.status.code) {
                    return .badRequest(error.body ?? error.status.reasonPhrase)
                }
            }
        default:
            break
        }
        logger.error("unhandled error", metadata: ["herald.error": "\(String(reflecting: error))"])
        return HeraldError(kind: .internalError, code: "server_error", detail: "Internal Server Error")
    }
}

struct CodeDetailBody: Codable {
    var code: String
    var detail: String
}

struct ValidationBody: Codable {
    var detail: [ValidationIssue]
}
