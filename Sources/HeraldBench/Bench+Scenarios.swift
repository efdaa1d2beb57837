import Foundation
import Histogram
import Synchronization

extension Bench {
    static let appBody = #"{"name":"Bench","uid":"bench"}"#

    func makeEndpoints(_ load: LoadGenerator, urls: [String]) async throws {
        for url in urls {
            try await load.call(.POST, "/api/v1/app/bench/endpoint", body: #"{"url":"\#(url)"}"#)
        }
    }

    /// Durable ingest: messages accepted per second by N clients, to an application without endpoints.
    func ingest() async throws -> [(String, Double)] {
        try await withHerald { _, load in
            try await load.call(.POST, "/api/v1/app", body: Self.appBody)
            _ = try await load.saturate(app: "bench", workers: options.concurrency, duration: .seconds(1))
            progress("ingest: measuring \(options.concurrency) clients for \(options.duration) s")
            let (count, latency) = try await load.saturate(app: "bench", workers: options.concurrency, duration: duration)
            return [
                ("messages_per_s", Double(count) / options.duration),
                ("p50_ms", Self.milliseconds(latency.valueAtPercentile(50))),
                ("p99_ms", Self.milliseconds(latency.valueAtPercentile(99))),
            ]
        }
    }

    /// Signed deliveries per second at saturation against the raw ceiling, and 202→arrival latency at a fixed offered
    /// rate (1,000 msg/s unless `--rate` says otherwise; the figures' names carry the rate).
    ///
    /// Saturation is the dispatcher's: one endpoint's queue, filled with the dispatcher off, drained by a fresh Herald
    /// with nothing else to do — as the raw ceiling's client has nothing else to do. The whole pipeline (clients
    /// sending as fast as they can while the same Herald delivers) is reported beside it as `pipeline_per_s`.
    func endToEnd(_ receiverURL: String) async throws -> [(String, Double)] {
        let queued = max(1_000, Int(options.duration * 10_000))
        let drain = try await queueThenDrain(receiverURL, paths: ["/drain"], prefix: "/drain", messages: queued, label: "e2e")
        let deliveriesPerSecond = drain.perSecond
        return try await withHerald { _, load in
            try await load.call(.POST, "/api/v1/app", body: Self.appBody)
            try await makeEndpoints(load, urls: [receiverURL + "/e2e"])
            _ = try await load.saturate(app: "bench", workers: options.concurrency, duration: .seconds(1))
            _ = try await waitUntil(timeout: .seconds(60)) { receiver.count("/e2e") > 0 }
            progress("e2e: saturating the pipeline for \(options.duration) s")
            let before = receiver.count("/e2e")
            let started = ContinuousClock.now
            let (sent, _) = try await load.saturate(app: "bench", workers: options.concurrency, duration: duration)
            let delivered = receiver.count("/e2e") - before
            let elapsed = (ContinuousClock.now - started).seconds
            _ = try await waitUntil(timeout: .seconds(120)) { receiver.count("/e2e") - before >= sent }
            let pipelinePerSecond = Double(delivered) / elapsed

            progress("e2e: raw ceiling for \(options.duration) s")
            let raw = Double(try await LoadGenerator.rawCeiling(url: receiverURL + "/raw", workers: options.concurrency, duration: duration))
            let rawPerSecond = raw / options.duration

            let rate = options.offeredRate
            progress("e2e: \(rate) msg/s for \(options.duration) s")
            receiver.recordArrivals(true)
            let accepted = try await load.offer(app: "bench", rate: rate, duration: duration)
            _ = try await waitUntil(timeout: .seconds(60)) {
                accepted.allSatisfy { receiver.arrival(of: $0.0, path: "/e2e") != nil }
            }
            var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000)
            for (id, at) in accepted {
                guard let arrived = receiver.arrival(of: id, path: "/e2e") else { continue }
                _ = latency.record(arrived > at ? LoadGenerator.micros(arrived - at) : 0)
            }
            receiver.recordArrivals(false)
            return [
                ("deliveries_per_s", deliveriesPerSecond),
                ("raw_ceiling_per_s", rawPerSecond),
                ("ratio", deliveriesPerSecond / rawPerSecond),
                ("pipeline_per_s", pipelinePerSecond),
                ("pipeline_ratio", pipelinePerSecond / rawPerSecond),
                ("p50_ms_at_\(rate)", Self.milliseconds(latency.valueAtPercentile(50))),
                ("p90_ms_at_\(rate)", Self.milliseconds(latency.valueAtPercentile(90))),
                ("p99_ms_at_\(rate)", Self.milliseconds(latency.valueAtPercentile(99))),
                ("p999_ms_at_\(rate)", Self.milliseconds(latency.valueAtPercentile(99.9))),
                ("lost_at_\(rate)", Double(accepted.count - Int(latency.totalCount))),
            ]
        }
    }

    /// One message to 100 endpoints: deliveries per second and how long until all 100 have it.
    func fanout(_ receiverURL: String) async throws -> [(String, Double)] {
        try await withHerald { _, load in
            try await load.call(.POST, "/api/v1/app", body: Self.appBody)
            let paths = (0..<100).map { "/fan/\($0)" }
            try await makeEndpoints(load, urls: paths.map { receiverURL + $0 })
            receiver.recordArrivals(true)
            progress("fanout: 10 messages/s to 100 endpoints for \(options.duration) s")
            let started = ContinuousClock.now
            let accepted = try await load.offer(app: "bench", rate: 10, duration: duration)
            let expected = accepted.count * paths.count
            _ = try await waitUntil(timeout: .seconds(120)) { receiver.total(prefix: "/fan/") >= expected }
            let elapsed = (ContinuousClock.now - started).seconds
            var completion = Histogram<UInt64>(highestTrackableValue: 600_000_000)
            for (id, at) in accepted {
                let arrivals = paths.compactMap { receiver.arrival(of: id, path: $0) }
                guard arrivals.count == paths.count, let last = arrivals.max() else { continue }
                _ = completion.record(last > at ? LoadGenerator.micros(last - at) : 0)
            }
            receiver.recordArrivals(false)
            return [
                ("deliveries_per_s", Double(receiver.total(prefix: "/fan/")) / elapsed),
                ("p50_ms_all_100", Self.milliseconds(completion.valueAtPercentile(50))),
                ("p99_ms_all_100", Self.milliseconds(completion.valueAtPercentile(99))),
            ]
        }
    }

    /// A queue of deliveries built with the dispatcher off, then drained: drain rate and Herald's peak memory.
    func backlog(_ receiverURL: String) async throws -> [(String, Double)] {
        let paths = (0..<100).map { "/backlog/\($0)" }
        let messages = max(1, options.backlogDeliveries / paths.count)
        let drain = try await queueThenDrain(receiverURL, paths: paths, prefix: "/backlog/", messages: messages, label: "backlog")
        return [
            ("queued_deliveries", Double(messages * paths.count)),
            ("queue_messages_per_s_fanout_100", drain.queuedPerSecond),
            ("drain_deliveries_per_s", drain.perSecond),
            ("peak_rss_mb", Double(drain.peakRSS) / 1_048_576),
        ]
    }

    /// Queues `messages` messages to an application with one endpoint per path (each path starting with `prefix`) while
    /// the dispatcher is off (`herald serve --role api`), then starts a whole Herald (`--instances` of them, sharing
    /// the database) and waits until every delivery arrived. Returns deliveries per second, the largest peak RSS, and
    /// how fast the messages were accepted (each fanned out to every path's endpoint).
    func queueThenDrain(
        _ receiverURL: String,
        paths: [String],
        prefix: String,
        messages: Int,
        label: String
    ) async throws -> (perSecond: Double, peakRSS: Int, queuedPerSecond: Double) {
        let shared = try options.postgresURL.map { try SharedDatabase.create(serverURL: $0) }
        defer { if let shared, !shared.drop() { progress("could not drop the bench database \(shared.name); drop it by hand") } }
        let herald = try HeraldChild(executable: options.executable, port: try freePort(), shared: shared)
        try await herald.start(role: "api")
        let http = LoadGenerator.makeClient(connections: options.concurrency)
        let load = LoadGenerator(http: http, host: herald.host, port: herald.port, token: try herald.token(), connections: options.concurrency)
        try await load.call(.POST, "/api/v1/app", body: Self.appBody)
        try await makeEndpoints(load, urls: paths.map { receiverURL + $0 })
        progress("\(label): queueing \(messages * paths.count) deliveries with the dispatcher off")
        let queueing = ContinuousClock.now
        try await load.send(count: messages, app: "bench", workers: options.concurrency)
        let queuedPerSecond = Double(messages) / (ContinuousClock.now - queueing).seconds
        try await load.shutdown()
        herald.stop()
        let expected = messages * paths.count
        progress("\(label): draining \(expected) deliveries with \(options.instances) instance(s)")
        try await herald.start(role: "all")
        // With --instances, the others share the drain (each its own dispatcher claiming from the shared queue).
        var others: [HeraldChild] = []
        do {
            for _ in 1..<max(options.instances, 1) {
                let other = try HeraldChild(executable: options.executable, port: try freePort(), shared: shared)
                try await other.start(role: "all")
                others.append(other)
            }
        } catch {
            for child in [herald] + others { child.stop() }
            throw error
        }
        // Timed from when they answer (start-up is not the dispatcher's work), counting only what arrived since.
        let started = ContinuousClock.now
        let early = receiver.total(prefix: prefix)
        // These two lines bracket the timed window, for tools that measure CPU over it (scripts/bench-drain-pairs).
        progress("\(label): timing the drain")
        var lastReport = ContinuousClock.now
        let drained = try await waitUntil(timeout: .seconds(1800)) {
            if ContinuousClock.now - lastReport > .seconds(10) {
                lastReport = .now
                progress("\(label): \(receiver.total(prefix: prefix)) of \(expected) delivered")
            }
            return receiver.total(prefix: prefix) >= expected
        }
        let elapsed = (ContinuousClock.now - started).seconds
        if drained { progress("\(label): drained \(expected - early) deliveries in \(String(format: "%.2f", elapsed)) s") }
        let peak = ([herald] + others).compactMap { $0.peakRSS() }.max() ?? 0
        for child in [herald] + others { child.stop() }
        guard drained else { throw BenchError("\(label): only \(receiver.total(prefix: prefix)) of \(expected) delivered") }
        return (Double(expected - early) / elapsed, peak, queuedPerSecond)
    }

    /// Healthy endpoints' latency while one endpoint times out on every request, and (with `--dead-backlog N`) while
    /// another application's endpoint that never answers has N deliveries queued, against the same run without either.
    func isolation(_ receiverURL: String) async throws -> [(String, Double)] {
        let healthy = (0..<10).map { "/iso/\($0)" }
        func run(withSlow: Bool, deadBacklog: Int = 0) async throws -> Histogram<UInt64> {
            try await withHerald(environment: ["HERALD_REQUEST_TIMEOUT": "1"]) { herald, load in
                try await load.call(.POST, "/api/v1/app", body: Self.appBody)
                try await makeEndpoints(load, urls: healthy.map { receiverURL + $0 } + (withSlow ? [receiverURL + "/slow"] : []))
                if deadBacklog > 0 {
                    try await load.call(.POST, "/api/v1/app", body: #"{"name":"Dead","uid":"dead"}"#)
                    try await load.call(.POST, "/api/v1/app/dead/endpoint", body: #"{"url":"\#(receiverURL)/slow"}"#)
                    progress("isolation: queueing \(deadBacklog) deliveries for an endpoint that never answers")
                    try await load.send(count: deadBacklog, app: "dead", workers: options.concurrency)
                    // Measured once the backlog waits (the last of it is parked within a second), not while it arrives,
                    // and on PostgreSQL once the fresh rows are vacuumed (autovacuum would do it during the measurement).
                    if options.vacuumFirst {
                        progress("isolation: VACUUM ANALYZE")
                        try herald.vacuumDatabase()
                    }
                    try await Task.sleep(for: .seconds(3))
                }
                receiver.recordArrivals(true)
                progress("isolation: 100 msg/s to 10 healthy endpoints\(withSlow ? " and one that always times out" : "")")
                let accepted = try await load.offer(app: "bench", rate: 100, duration: duration)
                return try await arrivalLatency(of: accepted, at: healthy)
            }
        }
        let baseline = try await run(withSlow: false)
        let disturbed = try await run(withSlow: true)
        let base99 = Self.milliseconds(baseline.valueAtPercentile(99))
        let with99 = Self.milliseconds(disturbed.valueAtPercentile(99))
        var figures = [("healthy_p99_ms", base99), ("healthy_p99_ms_with_timeouts", with99), ("ratio", with99 / max(base99, 0.001))]
        if options.deadBacklog > 0 {
            figures += try await deadBacklogRounds(firstBaseline: baseline) { try await run(withSlow: false, deadBacklog: $0) }
        }
        return figures
    }

    /// The baseline and the dead-backlog run measured alternately `options.rounds` times (the first baseline is the
    /// scenario's own): each round's p99 pair and ratio, then the median round's figures under the scenario's names,
    /// since on two shared cores a single pair of runs is as noisy as the effect measured.
    func deadBacklogRounds(
        firstBaseline: Histogram<UInt64>,
        run: (_ deadBacklog: Int) async throws -> Histogram<UInt64>
    ) async throws -> [(String, Double)] {
        var rounds: [(baseline: Histogram<UInt64>, dead: Histogram<UInt64>, ratio: Double)] = []
        for round in 0..<options.rounds {
            let baseline = round == 0 ? firstBaseline : try await run(0)
            let dead = try await run(options.deadBacklog)
            let ratio = Self.milliseconds(dead.valueAtPercentile(99)) / max(Self.milliseconds(baseline.valueAtPercentile(99)), 0.001)
            rounds.append((baseline, dead, ratio))
        }
        var figures: [(String, Double)] = [("dead_backlog", Double(options.deadBacklog))]
        if rounds.count > 1 {
            for (index, round) in rounds.enumerated() {
                figures += [
                    ("round_\(index + 1)_healthy_p99_ms", Self.milliseconds(round.baseline.valueAtPercentile(99))),
                    ("round_\(index + 1)_healthy_p99_ms_with_dead_backlog", Self.milliseconds(round.dead.valueAtPercentile(99))),
                    ("round_\(index + 1)_dead_backlog_ratio", round.ratio),
                ]
            }
        }
        let median = rounds.sorted { $0.ratio < $1.ratio }[rounds.count / 2]
        return figures + [
            ("healthy_p50_ms", Self.milliseconds(median.baseline.valueAtPercentile(50))),
            ("healthy_p50_ms_with_dead_backlog", Self.milliseconds(median.dead.valueAtPercentile(50))),
            ("healthy_p99_ms_median_round", Self.milliseconds(median.baseline.valueAtPercentile(99))),
            ("healthy_p99_ms_with_dead_backlog", Self.milliseconds(median.dead.valueAtPercentile(99))),
            ("dead_backlog_ratio", median.ratio),
        ]
    }

    /// 202 → arrival of every accepted message at every one of `paths` (waiting up to a minute for the last ones);
    /// stops recording arrivals.
    func arrivalLatency(of accepted: [(String, ContinuousClock.Instant)], at paths: [String]) async throws -> Histogram<UInt64> {
        _ = try await waitUntil(timeout: .seconds(60)) {
            accepted.allSatisfy { message in paths.allSatisfy { receiver.arrival(of: message.0, path: $0) != nil } }
        }
        var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000)
        for (id, at) in accepted {
            for path in paths {
                guard let arrived = receiver.arrival(of: id, path: path) else { continue }
                _ = latency.record(arrived > at ? LoadGenerator.micros(arrived - at) : 0)
            }
        }
        receiver.recordArrivals(false)
        return latency
    }
}
