import Foundation
import HeraldAPI
import HeraldCore
import HeraldSQLite
import Hummingbird
import HummingbirdTesting
import NIOCore

/// A Herald API over a fresh SQLite file, driven in-process through Hummingbird's router test client.
public struct APIHarness: Sendable {
    public static let secret = "test-secret-0123456789abcdef0123456789abcdef"
    public static let orgID = "org_23rb8YdGqMT0qIzpgGwdXfHirMu"

    public let directory: TemporaryDirectory
    public let store: SQLiteStore
    public let environment: APIEnvironment
    public let orgToken: String

    /// `operationalURL` turns on operational webhooks (queued as messages of the management org).
    /// `metricsExposition` serves `GET /metrics`. `clock` is what the routes take as now.
    public init(
        settings: APISettings = APISettings(),
        operationalURL: String? = nil,
        metricsExposition: MetricsExposition? = nil,
        clock: any WallClock = SystemWallClock()
    ) async throws {
        directory = try TemporaryDirectory()
        store = try SQLiteStore(path: directory.file("herald.db"), sealer: .forTests)
        let tokens = try await TokenAuthority(secret: Array(Self.secret.utf8))
        var operational: OperationalWebhooks?
        if let operationalURL {
            operational = try await OperationalWebhooks.setUp(store: store, url: operationalURL, secret: .generate(.hmac)).webhooks
        }
        environment = APIEnvironment(
            store: store,
            tokens: tokens,
            settings: settings,
            clock: clock,
            operational: operational,
            metricsExposition: metricsExposition.map { ($0, Self.orgID) }
        )
        orgToken = try await tokens.orgToken(orgID: Self.orgID)
    }

    /// Runs `body` against the router with a client that sends the org token unless told otherwise.
    public func run(_ body: @Sendable (APIClient) async throws -> Void) async throws {
        let app = Application(router: HeraldRouter.build(environment: environment))
        try await app.test(.router) { client in
            try await body(APIClient(client: client, token: orgToken))
        }
    }

    /// A token for another organisation.
    public func token(org: String) async throws -> String {
        try await environment.tokens.orgToken(orgID: org)
    }
}

/// One response: status, headers, body bytes and the body parsed as JSON.
public struct APIResponse: Sendable {
    public let status: Int
    public let headers: HTTPFields
    public let body: [UInt8]

    public var json: JSONValue? { JSONValue(bytes: body) }
    public var contentType: String? { headers[.contentType] }
}

/// Which Authorization header a test request carries.
public enum Credentials: Sendable {
    /// The harness's org token.
    case org
    /// No Authorization header at all.
    case none
    /// `Bearer <token>`.
    case bearer(String)
    /// The header value exactly as given.
    case raw(String)
}

/// Sends JSON requests to the in-process router.
public struct APIClient: Sendable {
    let client: any TestClientProtocol
    public let token: String

    /// Sends `method path` with an optional raw JSON body.
    @discardableResult
    public func request(
        _ method: HTTPRequest.Method,
        _ path: String,
        body: String? = nil,
        auth credentials: Credentials = .org,
        headers extra: HTTPFields = [:]
    ) async throws -> APIResponse {
        var headers = extra
        switch credentials {
        case .org: headers[.authorization] = "Bearer \(token)"
        case .none: break
        case .bearer(let other): headers[.authorization] = "Bearer \(other)"
        case .raw(let value): headers[.authorization] = value
        }
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(
            uri: path,
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(string: $0) }
        )
        return APIResponse(status: Int(response.status.code), headers: response.headers, body: Array(response.body.readableBytesView))
    }
}
