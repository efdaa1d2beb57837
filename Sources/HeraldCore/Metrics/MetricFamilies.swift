/// One metric family Herald reports: its Prometheus name, help line, labels and, for histograms, bucket bounds.
public struct MetricFamily: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public let name: String
    public let kind: Kind
    public let help: String
    public let labels: [String]
    /// Upper bounds in seconds (histograms only).
    public let buckets: [Double]

    init(_ name: String, _ kind: Kind, _ help: String, labels: [String] = [], buckets: [Double] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
        self.buckets = buckets
    }
}

/// Every family Herald reports, in one place: README's table and the exporter's help lines come from here. No label
/// names an application, endpoint or organisation, so the number of series is fixed by Herald, not by its tenants.
public enum MetricFamilies {
    /// Fast operations: API requests, database calls (1 ms to 10 s).
    public static let fastBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Webhook requests: up to the longest request timeout.
    static let requestBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60]
    /// Accepted to delivered: milliseconds when all is well, days when a receiver was down for its retries.
    static let latencyBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 4 * 3600, 24 * 3600, 5 * 24 * 3600,
    ]

    public static let messagesAccepted = MetricFamily(
        "herald_messages_accepted_total",
        .counter,
        "Messages accepted: committed to the database and answered 2xx."
    )
    public static let httpRequests = MetricFamily(
        "herald_http_requests_total",
        .counter,
        "HTTP requests answered, by route template and status class.",
        labels: ["route", "status_class"]
    )
    public static let httpRequestDuration = MetricFamily(
        "herald_http_request_duration_seconds",
        .histogram,
        "Time to answer an HTTP request, by route template.",
        labels: ["route"],
        buckets: fastBuckets
    )
    public static let deliveries = MetricFamily(
        "herald_deliveries_total",
        .counter,
        "Delivery attempts by outcome: success (2xx), failure (another status), timeout, connection_error, blocked (SSRF guard), skipped (endpoint gone or payload expired, nothing sent).",
        labels: ["outcome"]
    )
    public static let deliveryDuration = MetricFamily(
        "herald_delivery_duration_seconds",
        .histogram,
        "Duration of webhook requests that got an answer or timed out.",
        buckets: requestBuckets
    )
    public static let deliveryLatency = MetricFamily(
        "herald_delivery_latency_seconds",
        .histogram,
        "From a message's acceptance to its successful delivery to an endpoint.",
        buckets: latencyBuckets
    )
    public static let endpointsDisabled = MetricFamily(
        "herald_endpoints_disabled_total",
        .counter,
        "Endpoints disabled automatically (410 Gone, or failing for the disable period)."
    )
    public static let queueDue = MetricFamily(
        "herald_queue_due",
        .gauge,
        "Deliveries due now and not claimed by a worker (sampled at most every 5 s)."
    )
    public static let queueInFlight = MetricFamily(
        "herald_queue_in_flight",
        .gauge,
        "Deliveries claimed by a worker: being sent or about to be (sampled at most every 5 s)."
    )
    public static let queueRetrying = MetricFamily(
        "herald_queue_retrying",
        .gauge,
        "Deliveries that failed at least once and wait for a retry (sampled at most every 5 s)."
    )
    public static let databaseDuration = MetricFamily(
        "herald_database_operation_duration_seconds",
        .histogram,
        "Duration of database operations, by backend (sqlite, postgres) and operation (read, write, message_commit, result_commit, claim).",
        labels: ["backend", "operation"],
        buckets: fastBuckets
    )
    public static let databaseErrors = MetricFamily(
        "herald_database_errors_total",
        .counter,
        "Database operations that failed, by backend and operation.",
        labels: ["backend", "operation"]
    )
    public static let buildInfo = MetricFamily(
        "herald_build_info",
        .gauge,
        "Always 1; the labels say which Herald runs.",
        labels: ["version"]
    )
    public static let residentMemory = MetricFamily(
        "process_resident_memory_bytes",
        .gauge,
        "Resident memory of the Herald process, in bytes."
    )
    public static let openDescriptors = MetricFamily(
        "process_open_fds",
        .gauge,
        "File descriptors the Herald process has open."
    )

    public static let inboundRequests = MetricFamily(
        "herald_inbound_requests_total",
        .counter,
        "Requests to sources' ingest URLs, by outcome: accepted, duplicate (the sender's retry of a stored event), or why not.",
        labels: ["outcome"]
    )

    public static let all: [MetricFamily] = [
        messagesAccepted, inboundRequests, httpRequests, httpRequestDuration, deliveries, deliveryDuration, deliveryLatency,
        endpointsDisabled, queueDue, queueInFlight, queueRetrying, databaseDuration, databaseErrors, buildInfo,
        residentMemory, openDescriptors,
    ]

    /// The family named `name`, if Herald reports one.
    public static func named(_ name: String) -> MetricFamily? {
        all.first { $0.name == name }
    }
}
