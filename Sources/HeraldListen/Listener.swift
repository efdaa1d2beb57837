import AsyncHTTPClient
import Foundation
import HeraldCore
import HeraldDelivery
import NIOCore
import NIOHTTP1

/// `herald listen`: follows an application's messages through a polling endpoint's stream and forwards each one to a
/// local URL as a signed webhook, like `stripe listen`. Its position is the server's (a consumer of the polling
/// endpoint), saved after each forward, so a new run continues where the last one stopped.
public struct Listener: Sendable {
    public struct Options: Sendable {
        public var server: String
        public var token: String
        public var app: String
        /// Event types to forward; `prefix.*` matches a prefix. Empty forwards everything.
        public var events: [String]
        public var forward: String
        /// The polling endpoint's uid, and the consumer's id.
        public var name: String
        /// Only messages received from this inbound source (id or uid), forwarded as its sender sent them.
        public var source: String?

        public init(server: String, token: String, app: String, events: [String], forward: String, name: String, source: String? = nil) {
            self.source = source
            self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
            self.token = token
            self.app = app
            self.events = events
            self.forward = forward
            self.name = name
        }
    }

    let options: Options
    let output: @Sendable (String) -> Void

    public init(options: Options, output: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.output = output
    }

    /// Runs until cancelled (Ctrl-C), reconnecting when the stream breaks.
    public func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await follow(client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func follow(_ client: HTTPClient) async throws {
        let secret = try await preparePollingEndpoint(client)
        let sourceID = try await resolveSource(client)
        output(
            "Forwarding \(options.app)'s messages\(options.events.isEmpty ? "" : " of \(options.events.joined(separator: ", "))")"
                + "\(options.source.map { " received by source \($0)" } ?? "") to \(options.forward)"
        )
        output("Signing secret: \(secret.description)  (verify with Standard Webhooks / svix.Webhook)")
        var lastEventID: String?
        var backoff = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                try await stream(client, after: lastEventID, secret: secret, sourceID: sourceID) { id in
                    lastEventID = id
                    backoff = .milliseconds(250)
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                output("stream interrupted (\(Self.describe(error))); reconnecting")
            }
            try await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// Creates the polling endpoint (uid `name`) unless it exists; returns the secret forwards are signed with (the
    /// endpoint's own, so it stays the same from run to run).
    private func preparePollingEndpoint(_ client: HTTPClient) async throws -> EndpointSecret {
        let endpointPath = "/api/v1/app/\(options.app)/endpoint"
        let existing = try await call(client, .GET, endpointPath + "/\(options.name)")
        if existing.status == .notFound {
            let body = #"{"url":"\#(EndpointURL.poller)","uid":"\#(options.name)","description":"herald listen"}"#
            let created = try await call(client, .POST, endpointPath, body: body)
            guard created.status == .created else { throw ListenError(response: created, doing: "creating the polling endpoint") }
        } else if existing.status != .ok {
            throw ListenError(response: existing, doing: "looking up the polling endpoint")
        } else if existing.json?.objectValue?["url"]?.stringValue != EndpointURL.poller {
            throw ListenError(message: "endpoint '\(options.name)' exists and is not a polling endpoint; choose another --name")
        }
        let secret = try await call(client, .GET, endpointPath + "/\(options.name)/secret")
        guard let key = secret.json?.objectValue?["key"]?.stringValue, let parsed = EndpointSecret(parsing: key) else {
            throw ListenError(response: secret, doing: "reading the endpoint secret")
        }
        return parsed
    }

    /// The id of `--source` (given by id or uid; reading a source takes an org token); nil without it.
    private func resolveSource(_ client: HTTPClient) async throws -> String? {
        guard let source = options.source else { return nil }
        let reply = try await call(client, .GET, "/api/v1/app/\(options.app)/source/\(source)")
        guard reply.status == .ok, let id = reply.json?.objectValue?["id"]?.stringValue else {
            throw ListenError(response: reply, doing: "looking up source \(source) (an org token can)")
        }
        return id
    }

    private func stream(
        _ client: HTTPClient,
        after lastEventID: String?,
        secret: EndpointSecret,
        sourceID: String?,
        delivered: (String) -> Void
    ) async throws {
        var request = HTTPClientRequest(url: options.server + "/api/v1/app/\(options.app)/poller/\(options.name)/stream?consumer=\(options.name)")
        request.headers.add(name: "authorization", value: "Bearer \(options.token)")
        request.headers.add(name: "accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "last-event-id", value: lastEventID) }
        let response = try await client.execute(request, timeout: .hours(24 * 365))
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw ListenError(message: "the stream answered \(response.status.code): \(String(buffer: body))")
        }
        var parser = ServerSentEventParser()
        for try await chunk in response.body {
            for event in parser.feed(chunk.readableBytesView) where event.event == "message" {
                guard let id = event.id else { continue }
                try await forwardUntilDone(event, client: client, secret: secret, sourceID: sourceID)
                try await savePosition(client, iterator: id)
                delivered(id)
            }
        }
    }

    /// Forwards one message (if its type is wanted), again and again with back-off until the local URL takes it: the
    /// position moves on only after that, so a forward that keeps failing is not lost when `listen` restarts either.
    private func forwardUntilDone(_ event: ServerSentEvent, client: HTTPClient, secret: EndpointSecret, sourceID: String?) async throws {
        guard let message = JSONValue(parsing: Array(event.data.utf8)),
            let messageID = message.objectValue?["id"]?.stringValue, let eventType = message.objectValue?["eventType"]?.stringValue
        else { return }
        guard wants(eventType) else { return }
        let read = try await messageContent(of: messageID, client: client)
        if let sourceID, read.inbound?.sourceID != sourceID { return }
        var backoff = Duration.seconds(1)
        while !Task.isCancelled {
            if await forward(read.body, inbound: read.inbound, messageID: messageID, eventType: eventType, client: client, secret: secret) {
                return
            }
            output("  retrying \(messageID) in \(backoff.components.seconds) s")
            try await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    /// The body exactly as it was sent to Herald: the payload read from the message's JSON (which carries the stored
    /// bytes as they are), never parsed and written again — or, for a received body that is not a JSON object, taken
    /// out of its wrapping — with what Herald kept of the sender's request.
    private func messageContent(of messageID: String, client: HTTPClient) async throws -> (body: [UInt8], inbound: InboundEnvelope?) {
        let reply = try await call(client, .GET, "/api/v1/app/\(options.app)/msg/\(messageID)?with_content=true", limit: 16 << 20)
        guard reply.status == .ok, StrictJSON.validate(reply.body) == nil, let payload = RawJSON.member("payload", in: reply.body) else {
            throw ListenError(response: reply, doing: "reading message \(messageID)")
        }
        guard let envelope = RawJSON.member("inbound", in: reply.body).map(Array.init),
            let inbound = InboundEnvelope(storedJSON: String(decoding: envelope, as: UTF8.self))
        else { return (Array(payload), nil) }
        guard JSONValue(parsing: envelope)?.objectValue?["payloadIsBody"] == .bool(false),
            let wrapped = JSONValue(parsing: Array(payload))?.objectValue
        else {
            return (Array(payload), inbound)
        }
        if case .string(let text)? = wrapped["body"] { return (Array(text.utf8), inbound) }
        if case .string(let encoded)? = wrapped["bodyBase64"], let bytes = Data(base64Encoded: encoded) { return (Array(bytes), inbound) }
        return (Array(payload), inbound)
    }

    /// One forward, as a production receiver would get it: the payload's bytes, `webhook-*` and `svix-*` headers, a
    /// user agent. A message received from a source goes with its sender's headers and content type as well (Herald's
    /// signature is added unless the sender's own `webhook-*` headers are there). Prints one line; true when the local
    /// URL answered 2xx.
    private func forward(
        _ body: [UInt8],
        inbound: InboundEnvelope?,
        messageID: String,
        eventType: String,
        client: HTTPClient,
        secret: EndpointSecret
    ) async -> Bool {
        let timestamp = Int64(Date().timeIntervalSince1970)
        let signature = WebhookSigner.signature(messageID: messageID, timestamp: timestamp, body: body, secrets: [secret])
        var request = HTTPClientRequest(url: options.forward)
        request.method = .POST
        for header in inbound?.headers ?? [] { request.headers.add(name: header.name, value: header.value) }
        request.headers.replaceOrAdd(name: "content-type", value: inbound?.contentType ?? "application/json")
        if !request.headers.contains(name: "user-agent") {
            request.headers.add(name: "user-agent", value: "Herald/\(HeraldVersion.current) (herald listen)")
        }
        for prefix in ["webhook", "svix"] where !request.headers.contains(name: "\(prefix)-signature") {
            request.headers.add(name: "\(prefix)-id", value: messageID)
            request.headers.add(name: "\(prefix)-timestamp", value: String(timestamp))
            request.headers.add(name: "\(prefix)-signature", value: signature)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let started = ContinuousClock.now
        let outcome: String
        var succeeded = false
        do {
            let response = try await client.execute(request, timeout: .seconds(15))
            _ = try? await response.body.collect(upTo: 1 << 20)
            outcome = "\(response.status.code)"
            succeeded = (200..<300).contains(response.status.code)
        } catch {
            outcome = "failed: \(TransportFailure.phrase(for: error))"
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        output(
            "\(RFC3339.format(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)))  \(eventType)  \(messageID)  → \(outcome)  \(milliseconds) ms"
        )
        return succeeded
    }

    func wants(_ eventType: String) -> Bool {
        options.events.isEmpty
            || options.events.contains { pattern in
                pattern.hasSuffix("*") ? eventType.hasPrefix(pattern.dropLast()) : eventType == pattern
            }
    }

    /// A stream or API failure in a few readable words.
    static func describe(_ error: any Error) -> String {
        if let error = error as? ListenError { return error.description }
        return TransportFailure.phrase(for: error)
    }

    private func savePosition(_ client: HTTPClient, iterator: String) async throws {
        let path = "/api/v1/app/\(options.app)/poller/\(options.name)/consumer/\(options.name)/seek"
        let response = try await call(client, .POST, path, body: #"{"iterator":"\#(iterator)"}"#)
        guard response.status == .ok else { throw ListenError(response: response, doing: "saving the position") }
    }

    private func call(_ client: HTTPClient, _ method: HTTPMethod, _ path: String, body: String? = nil, limit: Int = 1 << 20) async throws -> Reply {
        var request = HTTPClientRequest(url: options.server + path)
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer \(options.token)")
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: limit)
        return Reply(status: response.status, body: Array(bytes.readableBytesView))
    }
}

/// A management API answer.
struct Reply {
    var status: HTTPResponseStatus
    var body: [UInt8]
    var json: JSONValue? { JSONValue(parsing: body) }
}

/// Why `herald listen` stopped, in words.
public struct ListenError: Error, CustomStringConvertible {
    public var description: String

    init(message: String) {
        description = message
    }

    init(response: Reply, doing what: String) {
        description = "\(what) failed: HTTP \(response.status.code) \(String(decoding: response.body, as: UTF8.self))"
    }
}
