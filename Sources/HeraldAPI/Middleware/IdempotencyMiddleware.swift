import Crypto
import HTTPTypes
import HeraldCore
import Hummingbird
import NIOCore

/// `idempotency-key` on POST, as Svix does it: the first request under (caller, key, URI) runs — the caller being the
/// organisation, or the application of an app token, so a new token of the same caller still replays; a successful
/// response is kept for `windowSeconds` (12 hours unless retention is shorter), sealed with the main key as it may hold
/// a secret or a payload, and replayed verbatim; concurrent duplicates wait for it; failures are not kept, so a retry
/// runs again. State lives in the store, so every instance answers alike.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = HeraldRequestContext
    let store: any IdempotencyStore
    let clock: any WallClock
    let windowSeconds: Int64

    static let lockSeconds: Int64 = 5
    static let pollInterval: Duration = .milliseconds(200)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let key = request.headers[HTTPField.Name("idempotency-key")!],
            let principal = context.principal
        else {
            return try await next(request, context)
        }
        let cacheKey = Self.cacheKey(caller: Self.caller(principal), key: key, uri: request.uri.string)
        let deadline = clock.now().adding(seconds: Self.lockSeconds)
        while true {
            let now = clock.now()
            switch try await store.claimIdempotencyKey(cacheKey, now: now, lockUntil: now.adding(seconds: Self.lockSeconds)) {
            case .completed(let stored):
                return Self.replay(stored)
            case .inProgress where now < deadline:
                try await Task.sleep(for: Self.pollInterval)
                continue
            case .inProgress, .acquired:
                return try await run(request, context: context, next: next, cacheKey: cacheKey)
            }
        }
    }

    private func run(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response,
        cacheKey: String
    ) async throws -> Response {
        let response: Response
        var context = context
        let created = CreatedResource(idempotencyKey: cacheKey, keptSeconds: windowSeconds)
        context.createdResource = created
        do {
            response = try await next(request, context)
        } catch {
            try? await store.releaseIdempotencyKey(cacheKey)
            throw error
        }
        guard (200..<300).contains(response.status.code) else {
            try await store.releaseIdempotencyKey(cacheKey)
            return response
        }
        if created.answerKept { return response }
        let collector = BodyCollector()
        try await response.body.write(collector)
        let stored = StoredResponse(
            status: response.status.code,
            headers: response.headers.map { [$0.name.rawName, $0.value] },
            body: Array(collector.buffer.readableBytesView)
        )
        try await store.completeIdempotencyKey(
            cacheKey,
            response: stored,
            resourceID: created.id,
            expiresAt: clock.now().adding(seconds: windowSeconds)
        )
        return Self.replay(stored)
    }

    static func cacheKey(caller: String, key: String, uri: String) -> String {
        Array(SHA256.hash(data: Array("\(caller)\n\(key)\n\(uri)".utf8))).hexString
    }

    /// Whose keys these are: ids hold no newline, so the parts of a cache key cannot run into each other.
    static func caller(_ principal: Principal) -> String {
        switch principal {
        case .organization(let orgID): "org:" + orgID
        case .application(let orgID, let appID, _): "app:" + orgID + ":" + appID
        }
    }

    static func replay(_ stored: StoredResponse) -> Response {
        var headers = HTTPFields()
        for pair in stored.headers where pair.count == 2 {
            if let name = HTTPField.Name(pair[0]) { headers.append(HTTPField(name: name, value: pair[1])) }
        }
        return Response(
            status: HTTPResponse.Status(code: stored.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: stored.body))
        )
    }
}

/// Gathers a response body so it can be kept for replay. A class, because `ResponseBody.write` consumes its writer
/// and the bytes must be read back afterwards.
private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.writeBuffer(&part)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
