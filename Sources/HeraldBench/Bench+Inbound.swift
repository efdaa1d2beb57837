import AsyncHTTPClient
import Crypto
import Foundation
import Histogram
import NIOCore

extension Bench {
    /// Inbound accept rate: N clients posting Stripe-signed ~1 KB events (each its own event id and signature, made by
    /// the client as Stripe would) to a source's ingest URL as fast as they can. Each 200 came after the signature
    /// was verified and the message committed; the p50/p99 are of those answers.
    func inbound() async throws -> [(String, Double)] {
        try await withHerald { _, load in
            try await load.call(.POST, "/api/v1/app", body: Self.appBody)
            let secret = "whsec_bench_inbound_secret"
            let created = try await load.call(
                .POST,
                "/api/v1/app/bench/source",
                body: #"{"name":"Stripe","verification":{"type":"stripe","secret":"\#(secret)"},"rateLimit":10000}"#
            )
            guard let url = (try? JSONSerialization.jsonObject(with: Data(created)) as? [String: Any])?["ingestUrl"] as? String,
                let path = url.range(of: "/ingest/").map({ String(url[$0.lowerBound...]) })
            else { throw BenchError("creating the source answered no ingest URL") }
            let target = load.base + path
            _ = try await Self.saturateInbound(load.http, url: target, secret: secret, workers: options.concurrency, duration: .seconds(1))
            progress("inbound: measuring \(options.concurrency) clients for \(options.duration) s")
            let (count, latency) = try await Self.saturateInbound(
                load.http,
                url: target,
                secret: secret,
                workers: options.concurrency,
                duration: duration
            )
            return [
                ("verified_per_s", Double(count) / options.duration),
                ("p50_ms", Self.milliseconds(latency.valueAtPercentile(50))),
                ("p99_ms", Self.milliseconds(latency.valueAtPercentile(99))),
            ]
        }
    }

    /// Lower-case hex, cheaply: the clients share the server's cores, so their cost is not the server's to pay.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `workers` loops posting signed events for `duration`; returns how many were accepted and their latencies.
    static func saturateInbound(
        _ http: HTTPClient,
        url: String,
        secret: String,
        workers: Int,
        duration: Duration
    ) async throws -> (count: Int, latency: Histogram<UInt64>) {
        let filler = String(repeating: "x", count: 900)
        let key = SymmetricKey(data: Array(secret.utf8))
        return try await LoadGenerator.saturate(workers: workers, duration: duration) { worker in
            let body =
                #"{"id":"evt_\#(worker)_\#(UUID().uuidString)","object":"event","type":"payment_intent.succeeded","data":{"object":{"filler":"\#(filler)"}}}"#
            let timestamp = String(Int64(Date().timeIntervalSince1970))
            let signature = HMAC<SHA256>.authenticationCode(for: Array((timestamp + "." + body).utf8), using: key)
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "stripe-signature", value: "t=\(timestamp),v1=" + Self.hex(signature))
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await http.execute(request, timeout: .seconds(60))
            let answer = try await response.body.collect(upTo: 1 << 16)
            guard response.status == .ok else { throw BenchError("ingest answered \(response.status.code): \(String(buffer: answer))") }
        }
    }
}
