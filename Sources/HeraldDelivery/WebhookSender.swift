import AsyncHTTPClient
import Foundation
import HeraldCore
import NIOCore
import NIOHTTP1

/// What came back from one webhook request.
struct SendOutcome: Sendable {
    /// 0 when no HTTP response arrived.
    var statusCode: Int
    /// The response body (capped) or the transport error's text.
    var response: String
    var durationMs: Int64
    var timedOut: Bool
    /// Seconds the receiver asked to wait (`Retry-After`), if it did.
    var retryAfter: Double?

    var succeeded: Bool { (200..<300).contains(statusCode) }

    /// How `herald_deliveries_total` counts it.
    var metricOutcome: DeliveryMetricOutcome {
        if succeeded { return .success }
        if statusCode > 0 { return .failure }
        if timedOut { return .timeout }
        return response == WebhookSender.blockedMessage ? .blocked : .connectionError
    }
}

/// Sends signed webhook requests over Herald's own HTTP clients: no redirects, bounded time, many connections per
/// host, and only to addresses the SSRF guard vetted.
public final class WebhookSender: Sendable {
    let clients: PinnedClients
    let settings: DeliverySettings
    let resolver: any HostResolver

    /// Recorded for an attempt the guard stopped; the same words whatever the address, so the log is no port scanner.
    static let blockedMessage = "destination not allowed: requests to this address range are blocked (see HERALD_ALLOWED_SUBNETS)"

    public init(settings: DeliverySettings, resolver: any HostResolver = SystemHostResolver()) {
        self.settings = settings
        self.resolver = resolver
        self.clients = PinnedClients { dnsOverride in
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(
                    connect: .seconds(Int64(settings.connectTimeoutSeconds)),
                    read: .seconds(Int64(settings.requestTimeoutSeconds))
                ),
                // Endpoints on one host share a client: the per-endpoint cap is the dispatcher's, so the host gets the whole budget.
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maxConcurrency),
                ignoreUncleanSSLShutdown: false,
                decompression: .disabled
            )
            configuration.dnsOverride = dnsOverride
            // Herald records every attempt itself; a span per request (even with no tracer) costs a few % of delivery.
            configuration.tracing.tracer = nil
            return configuration
        }
    }

    public func shutdown() async throws {
        try await clients.shutdown()
    }

    /// Where an attempt may go: the host's addresses, resolved now (on every attempt), all vetted.
    enum Destination {
        case allowed(host: String, address: IPAddress)
        /// Why not, as recorded in the attempt.
        case refused(String)
    }

    /// Resolves the endpoint's host and vets every address it has: one blocked address refuses the name, so a
    /// DNS answer mixing public and internal addresses cannot be used to reach the internal one.
    func destination(of url: String, granted: [IPNetwork] = []) async -> Destination {
        guard let host = URL(string: url)?.host, !host.isEmpty else { return .refused("invalid endpoint URL") }
        let policy = settings.destinationPolicy.granting(granted)
        // A canonical address needs no lookup; any other spelling of one goes through the resolver like a name.
        if let literal = IPAddress(host), literal.description == host || "[\(literal)]" == host {
            return policy.permits(literal) ? .allowed(host: host, address: literal) : .refused(Self.blockedMessage)
        }
        guard let addresses = try? await resolver.resolve(host: host), let first = addresses.first else {
            return .refused("could not resolve host \(host)")
        }
        guard addresses.allSatisfy(policy.permits) else { return .refused(Self.blockedMessage) }
        return .allowed(host: host, address: first)
    }

    /// The request for one attempt: the stored payload bytes, the endpoint's headers, and a fresh timestamp and
    /// signature from every valid key. A message received from a source goes as its sender sent it — its headers and
    /// content type — and carries Herald's signature only where the endpoint's policy asks (`signInbound`).
    func request(for task: DeliveryTask, payload: [UInt8], now: Timestamp) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: task.url)
        request.method = .POST
        let resigned = task.inbound != nil && task.policy.signInbound == true
        for header in task.inbound?.headers ?? [] {
            // Herald's signature replaces the sender's Standard Webhooks headers under both names, never beside them.
            if resigned, header.name.hasPrefix("webhook-") || header.name.hasPrefix("svix-") { continue }
            request.headers.add(name: header.name, value: header.value)
        }
        for (name, value) in task.headers.sorted(by: { $0.key < $1.key }) {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        request.headers.replaceOrAdd(name: "content-type", value: task.inbound?.contentType ?? "application/json")
        if task.inbound == nil || !request.headers.contains(name: "user-agent") {
            request.headers.replaceOrAdd(name: "user-agent", value: "Herald/\(HeraldVersion.current)")
        }
        if task.inbound != nil, !resigned {
            request.body = .bytes(ByteBuffer(bytes: payload))
            return request
        }
        let timestamp = now.seconds
        let signature = WebhookSigner.signature(
            messageID: task.messageID,
            timestamp: timestamp,
            body: payload,
            secrets: task.signingSecrets(at: now)
        )
        let prefixes: [String] =
            switch settings.headerNames {
            case .webhook: ["webhook"]
            case .svix: ["svix"]
            case .both: ["webhook", "svix"]
            }
        for prefix in prefixes {
            request.headers.replaceOrAdd(name: "\(prefix)-id", value: task.messageID)
            request.headers.replaceOrAdd(name: "\(prefix)-timestamp", value: String(timestamp))
            request.headers.replaceOrAdd(name: "\(prefix)-signature", value: signature)
        }
        request.body = .bytes(ByteBuffer(bytes: payload))
        return request
    }

    /// Sends one attempt; the whole request (head and body) must finish within `timeoutSeconds`. `granted`: the private
    /// networks the delivery's application may reach.
    func send(_ request: HTTPClientRequest, timeoutSeconds: Int, granted: [IPNetwork] = []) async -> SendOutcome {
        let started = ContinuousClock.now
        let client: HTTPClient
        switch await destination(of: request.url, granted: granted) {
        case .refused(let reason):
            return SendOutcome(statusCode: 0, response: reason, durationMs: 0, timedOut: false, retryAfter: nil)
        case .allowed(let host, let address):
            client = clients.client(host: host, address: address)
        }
        func elapsed() -> Int64 {
            let duration = ContinuousClock.now - started
            return duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(timeoutSeconds)))
            // The client's deadline ends with the response head; a body dripping in is cut off at the same deadline
            // (give or take one read timeout, which bounds the wait for each part).
            let bodyDeadline = started + .seconds(timeoutSeconds)
            var captured = ByteBuffer()
            var drained = 0
            var cutOff = false
            for try await part in response.body {
                drained += part.readableBytes
                if captured.readableBytes < settings.responseCaptureBytes {
                    var part = part
                    let take = min(part.readableBytes, settings.responseCaptureBytes - captured.readableBytes)
                    if let slice = part.readSlice(length: take) {
                        var slice = slice
                        captured.writeBuffer(&slice)
                    }
                }
                // A receiver streaming a huge or endless body is not read to the end: the connection is dropped instead.
                if drained > 1 << 20 || ContinuousClock.now > bodyDeadline {
                    cutOff = true
                    break
                }
            }
            var text = ResponseText.recorded(captured.readableBytesView)
            if cutOff { text += "\n[herald: the rest of the response body was not read]" }
            return SendOutcome(
                statusCode: Int(response.status.code),
                response: text,
                durationMs: elapsed(),
                timedOut: false,
                retryAfter: response.headers.first(name: "retry-after").flatMap(RetryAfter.parse)
            )
        } catch {
            let timedOut = [HTTPClientError.deadlineExceeded, .readTimeout, .connectTimeout].contains(error as? HTTPClientError)
            return SendOutcome(
                statusCode: 0,
                response: timedOut ? "timed out" : TransportFailure.phrase(for: error),
                durationMs: elapsed(),
                timedOut: timedOut,
                retryAfter: nil
            )
        }
    }
}

/// `Retry-After`: seconds (fractions allowed) or an HTTP date.
enum RetryAfter {
    static func parse(_ value: String) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return seconds >= 0 && seconds.isFinite ? seconds : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }
}
