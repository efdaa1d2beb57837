import HeraldCore

/// The error the API answers with: a failure the client should see. `ErrorResponses` maps `kind` to a status in one
/// place (and storage's `StorageError` to this); `code` and `detail` become the JSON body.
public struct HeraldError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case badRequest
        case unauthorized
        case forbidden
        case notFound
        case methodNotAllowed
        case conflict
        case payloadTooLarge
        case validation
        case serviceUnavailable
        case requestTimeout
        case unsupportedMediaType
        case tooManyRequests
        case notImplemented
        case internalError
    }

    public var kind: Kind
    public var code: String
    public var detail: String
    /// Set for `.validation` only.
    public var issues: [ValidationIssue]
    /// Set for `.tooManyRequests`: whole seconds until a retry can succeed (`Retry-After`).
    public var retryAfterSeconds: Int?

    public init(kind: Kind, code: String, detail: String, issues: [ValidationIssue] = [], retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.code = code
        self.detail = detail
        self.issues = issues
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code): \(detail)" }

    public static func badRequest(_ detail: String, code: String = "generic_error") -> HeraldError {
        HeraldError(kind: .badRequest, code: code, detail: detail)
    }

    public static func unauthorized(_ detail: String = "Invalid token") -> HeraldError {
        HeraldError(kind: .unauthorized, code: "authentication_failed", detail: detail)
    }

    public static func forbidden(_ detail: String = "Insufficient access for the given route") -> HeraldError {
        HeraldError(kind: .forbidden, code: "insufficient access", detail: detail)
    }

    public static func notFound(_ detail: String = "Entity not found") -> HeraldError {
        HeraldError(kind: .notFound, code: "not_found", detail: detail)
    }

    public static func conflict(_ detail: String, code: String = "conflict") -> HeraldError {
        HeraldError(kind: .conflict, code: code, detail: detail)
    }

    public static func validation(_ issues: [ValidationIssue]) -> HeraldError {
        HeraldError(kind: .validation, code: "validation", detail: issues.first?.msg ?? "invalid request", issues: issues)
    }

    public static func validation(loc: [String], _ msg: String, type: String = "value_error") -> HeraldError {
        .validation([ValidationIssue(loc: loc, msg: msg, type: type)])
    }

    /// A limit of the caller's tenant was reached; a retry after `retryAfterSeconds` can succeed.
    public static func tooManyRequests(_ detail: String, retryAfterSeconds: Int) -> HeraldError {
        HeraldError(kind: .tooManyRequests, code: "rate_limit_exceeded", detail: detail, retryAfterSeconds: max(1, retryAfterSeconds))
    }

    public static func unavailable(_ detail: String) -> HeraldError {
        HeraldError(kind: .serviceUnavailable, code: "service_unavailable", detail: detail)
    }
}
