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
        case .requestTimeout: return .requestTimeout
        case .unsupportedMediaType: return .unsupportedMediaType
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
        case let error as StorageError:
            return heraldError(from: error, logger: logger)
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
        case let error as any TransientStorageFailure where error.isTransient:
            return .unavailable("The database is unavailable; try again shortly")
        default:
            break
        }
        logger.error("unhandled error", metadata: ["herald.error": "\(String(reflecting: error))"])
        return HeraldError(kind: .internalError, code: "server_error", detail: "Internal Server Error")
    }

    /// An error as an ingest URL answers it: the status says what kind of failure (so a sender knows whether to
    /// retry), the body nothing beyond "not accepted" — ingest URLs face the open internet.
    static func inboundError(from error: any Error, logger: Logger) -> HeraldError {
        let mapped = heraldError(from: error, logger: logger)
        let kind = mapped.kind == .validation ? .badRequest : mapped.kind
        return HeraldError(kind: kind, code: "not_accepted", detail: "Not accepted", retryAfterSeconds: mapped.retryAfterSeconds)
    }

    /// Storage's errors as the client sees them: a taken value is a 409 naming it, an unavailable database a 503, an
    /// unreadable stored value a logged 500 that says nothing of the cause.
    static func heraldError(from error: StorageError, logger: Logger) -> HeraldError {
        switch error {
        case .duplicate(.applicationUID): return .conflict("An application with this uid already exists")
        case .duplicate(.endpointUID): return .conflict("An endpoint with this uid already exists")
        case .duplicate(.sourceUID): return .conflict("A source with this uid already exists")
        case .duplicate(.eventTypeName): return .conflict("An event type with this name already exists", code: "event_type_exists")
        case .duplicate(.messageEventID): return .conflict("A message with this eventId already exists")
        case .unavailable: return .unavailable("The database is unavailable; try again shortly")
        case .unreadable(let what):
            logger.error("a stored value is unreadable", metadata: ["herald.error": "\(what)"])
            return HeraldError(kind: .internalError, code: "server_error", detail: "Internal Server Error")
        }
    }
}

struct CodeDetailBody: Codable {
    var code: String
    var detail: String
}

struct ValidationBody: Codable {
    var detail: [ValidationIssue]
}
