import Foundation
import HeraldCore
import HeraldKit
import HeraldTesting
import Testing

/// `/metrics` as Prometheus reads it, from a running Herald that accepted and delivered a message.
@Suite struct MetricsTests {
    @Test func countersMoveWithIngestAndDelivery() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for configuration in try await EmbeddedHeraldTests.databases(in: directory) {
            let backend = configuration.database.backendName.rawValue
            let receiver = LoopbackReceiver()
            try await receiver.run { base in
                let herald = try Herald(configuration: configuration, logger: EmbeddedHeraldTests.quiet)
                try await EmbeddedHeraldTests.running(herald) {
                    let before = try Exposition(try await herald.metricsText())
                    #expect(before.value("herald_messages_accepted_total") == 0)
                    #expect(before.value("herald_deliveries_total", ["outcome": "success"]) == 0)
                    #expect(before.value("herald_build_info", ["version": HeraldVersion.current]) == 1)

                    _ = try await herald.applications.create(name: "Acme", uid: "acme")
                    _ = try await herald.endpoints.create(app: "acme", url: base + "/hooks")
                    _ = try await herald.messages.create(app: "acme", eventType: "invoice.paid", payload: ["n": 1])
                    _ = try await herald.messages.create(app: "acme", eventType: "invoice.paid", payload: ["n": 2])
                    #expect(await receiver.waitFor(2, to: "/hooks").count == 2)

                    // The attempts are counted as their responses arrive, a moment after the receiver saw them.
                    var after = try Exposition(try await herald.metricsText())
                    let deadline = ContinuousClock.now + .seconds(10)
                    while after.value("herald_deliveries_total", ["outcome": "success"]) != 2, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                        after = try Exposition(try await herald.metricsText())
                    }
                    #expect(after.value("herald_messages_accepted_total") == 2)
                    #expect(after.value("herald_deliveries_total", ["outcome": "success"]) == 2)
                    #expect(after.value("herald_deliveries_total", ["outcome": "failure"]) == 0)
                    #expect(after.value("herald_delivery_duration_seconds_count") == 2)
                    #expect(after.value("herald_delivery_latency_seconds_count") == 2)
                    let route = ["route": "/api/v1/app/{app_id}/msg", "status_class": "2xx"]
                    #expect(after.value("herald_http_requests_total", route) == 2)
                    let commits = ["backend": backend, "operation": "message_commit"]
                    #expect(after.value("herald_database_operation_duration_seconds_count", commits) == 2)
                    #expect(after.value("herald_database_errors_total", commits) == 0)
                    #expect(after.value("herald_queue_due") != nil)
                    #expect(after.value("herald_queue_in_flight") != nil)
                    #expect(after.value("herald_queue_retrying") != nil)
                    // Only the backend in use has series; no label names a tenant.
                    #expect(!after.samples.contains { $0.labels["backend"] != nil && $0.labels["backend"] != backend })
                    #expect(
                        !after.samples.contains { sample in
                            sample.labels.keys.contains { ["app", "app_id", "endpoint", "endpoint_id", "org", "org_id", "msg_id"].contains($0) }
                        }
                    )
                }
            }
        }
    }

    @Test func metricsTurnedOffServeNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EmbeddedHeraldTests.configuration(database: .sqlite(path: directory.file("off.db")))
        configuration.metricsEnabled = false
        let herald = try Herald(configuration: configuration, logger: EmbeddedHeraldTests.quiet)
        try await EmbeddedHeraldTests.running(herald) {
            _ = try await herald.applications.create(name: "Acme", uid: "acme")
            #expect(try await herald.metricsText() == "")
        }
    }

    @Test func aFailingReceiverIsCountedAsAFailureAndQueuedForRetry() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = {
            var configuration = EmbeddedHeraldTests.configuration(database: .sqlite(path: directory.file("failing.db")))
            configuration.delivery.retryPolicy = RetryPolicy(schedule: [3600], jitter: 0)
            return configuration
        }()
        let receiver = LoopbackReceiver { _, _ in LoopbackReceiver.Reply(.serviceUnavailable) }
        try await receiver.run { base in
            let herald = try Herald(configuration: configuration, logger: EmbeddedHeraldTests.quiet)
            try await EmbeddedHeraldTests.running(herald) {
                _ = try await herald.applications.create(name: "Acme", uid: "acme")
                _ = try await herald.endpoints.create(app: "acme", url: base + "/down")
                _ = try await herald.messages.create(app: "acme", eventType: "invoice.paid", payload: ["n": 1])
                #expect(await receiver.waitFor(1, to: "/down").count == 1)
                var metrics = try Exposition(try await herald.metricsText())
                let deadline = ContinuousClock.now + .seconds(10)
                // The queue's gauges are sampled at most every 5 s.
                while metrics.value("herald_queue_retrying") != 1, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    metrics = try Exposition(try await herald.metricsText())
                }
                #expect(metrics.value("herald_deliveries_total", ["outcome": "failure"]) == 1)
                #expect(metrics.value("herald_delivery_latency_seconds_count") == 0)
                #expect(metrics.value("herald_queue_retrying") == 1)
                #expect(metrics.value("herald_queue_due") == 0)
            }
        }
    }
}

/// The Prometheus text format, parsed strictly enough to catch what a scraper would refuse: every sample belongs to
/// a family announced by `# HELP` and `# TYPE`, every value is a number.
struct Exposition {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample] = []

    init(_ text: String) throws {
        var helped = Set<String>()
        var typed = Set<String>()
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                helped.insert(String(line.dropFirst(7).prefix { $0 != " " }))
                continue
            }
            if line.hasPrefix("# TYPE ") {
                typed.insert(String(line.dropFirst(7).prefix { $0 != " " }))
                continue
            }
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            var labels: [String: String] = [:]
            var rest = line.dropFirst(name.count)
            if rest.first == "{" {
                rest = rest.dropFirst()
                // name="value" pairs; a value may hold any character, quotes and backslashes escaped.
                while rest.first != "}" {
                    if rest.first == "," { rest = rest.dropFirst() }
                    let key = String(rest.prefix { $0 != "=" })
                    rest = rest.dropFirst(key.count)
                    try #require(rest.hasPrefix("=\""), "label \(key) in \(line)")
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let character = rest.first, character != "\"" {
                        rest = rest.dropFirst()
                        if character == "\\", let escaped = rest.first {
                            value.append(escaped == "n" ? "\n" : escaped)
                            rest = rest.dropFirst()
                        } else {
                            value.append(character)
                        }
                    }
                    try #require(!rest.isEmpty, "unterminated label in \(line)")
                    rest = rest.dropFirst()
                    labels[key] = value
                }
                rest = rest.dropFirst()
            }
            let value = try #require(Double(rest.trimmingCharacters(in: .whitespaces)), "value of \(line)")
            let family = ["_bucket", "_sum", "_count"].reduce(name) { family, suffix in
                family.hasSuffix(suffix) && typed.contains(String(family.dropLast(suffix.count))) ? String(family.dropLast(suffix.count)) : family
            }
            #expect(helped.contains(family) && typed.contains(family), "\(name) has no HELP or TYPE line")
            samples.append(Sample(name: name, labels: labels, value: value))
        }
    }

    /// The value of the sample named `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }
}
