import Foundation
import HTTPTypes
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

// `Client` and the `Components`/`Operations` types are generated (Sources/HeraldClient/Generated, by
// scripts/generate-client) from the OpenAPI document Herald serves; this file adds what the document cannot say.

extension Client {
    /// A client for the Herald server at `serverURL` (its root, such as `http://localhost:8071`), sending `token`
    /// (an org token from `herald token create`, or an app-portal token) with every request.
    ///
    /// ```swift
    /// let herald = Client(serverURL: URL(string: "http://localhost:8071")!, token: token)
    /// let created = try await herald.createApplication(body: .json(.init(name: "Acme", uid: "acme")))
    /// let app = try created.created.body.json
    /// ```
    public init(serverURL: URL, token: String, transport: any ClientTransport = AsyncHTTPClientTransport()) {
        self.init(
            serverURL: serverURL,
            // Herald writes every time with milliseconds (RFC 3339).
            configuration: Configuration(dateTranscoder: .iso8601WithFractionalSeconds),
            transport: transport,
            middlewares: [BearerToken(token: token)]
        )
    }
}

/// Adds `Authorization: Bearer <token>` to every request.
struct BearerToken: ClientMiddleware {
    let token: String

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(token)"
        return try await next(request, body, baseURL)
    }
}
