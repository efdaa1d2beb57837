import Foundation

/// A response kept for replay under an idempotency key.
public struct StoredResponse: Sendable, Hashable, Codable {
    public var status: Int
    public var headers: [[String]]
    public var body: [UInt8]

    public init(status: Int, headers: [[String]], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The form every backend keeps: sealed with the main key and bound to its idempotency key, because a response
    /// can carry a secret (an endpoint's signing key, an app-portal token) or a payload.
    public func sealed(with sealer: SecretSealer, key: String) throws -> [UInt8] {
        try sealer.seal(bytes: Array(try JSONEncoder().encode(self)), boundTo: "idempotency:" + key)
    }

    /// Opens what `sealed(with:key:)` made for the same key.
    public init(sealed: [UInt8], sealer: SecretSealer, key: String) throws {
        let bytes = try sealer.open(bytes: sealed, boundTo: "idempotency:" + key)
        self = try JSONDecoder().decode(StoredResponse.self, from: Data(bytes))
    }
}

/// What claiming an idempotency key found.
public enum IdempotencyClaim: Sendable, Hashable {
    /// The caller holds the key and runs the request.
    case acquired
    /// Another request with this key is running and its lock has not expired.
    case inProgress
    /// A request with this key succeeded; replay its response.
    case completed(StoredResponse)
}

/// Shared idempotency state, so that every instance gives the same answer for the same key.
public protocol IdempotencyStore: Sendable {
    /// Takes the key unless it holds a finished response or an unexpired lock.
    func claimIdempotencyKey(_ key: String, now: Timestamp, lockUntil: Timestamp) async throws -> IdempotencyClaim
    /// Records the successful response for replay until `expiresAt`, sealed (see `StoredResponse.sealed`). `resourceID`
    /// names the message it created, if it did, so that expunging that message's content forgets the response too.
    func completeIdempotencyKey(_ key: String, response: StoredResponse, resourceID: String?, expiresAt: Timestamp) async throws
    /// Forgets the key (the request failed, so a retry must run again).
    func releaseIdempotencyKey(_ key: String) async throws
}

/// A message's 2xx answer, kept under the request's idempotency key **in the transaction that stores the message**:
/// kept afterwards, a crash between the two commits would leave the key unanswered and let a retry under it store the
/// message a second time.
public struct IdempotentAnswer: Sendable, Hashable {
    public var key: String
    public var response: StoredResponse
    public var expiresAt: Timestamp

    public init(key: String, response: StoredResponse, expiresAt: Timestamp) {
        self.key = key
        self.response = response
        self.expiresAt = expiresAt
    }
}
