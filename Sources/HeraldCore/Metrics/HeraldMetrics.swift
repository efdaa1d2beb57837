import CoreMetrics
import Synchronization

/// The handles Herald's code records through, made from one `MetricsFactory` (swift-metrics). Herald never uses the
/// process-wide `MetricsSystem`: each server has its own factory, so a host application's metrics and Herald's stay
/// apart, and tests running several servers in one process count separately. `off` records nothing.
public final class HeraldMetrics: Sendable {
    /// Records nothing: for stores and dispatchers made without an exporter (tests, tools).
    public static let off = HeraldMetrics(factory: NOOPMetricsHandler.instance)

    private let factory: any MetricsFactory
    public let messagesAccepted: Counter
    public let deliveryDuration: Timer
    public let deliveryLatency: Timer
    public let endpointsDisabled: Counter
    public let queueDue: Gauge
    public let queueInFlight: Gauge
    public let queueRetrying: Gauge
    public let residentMemory: Gauge
    public let openDescriptors: Gauge
    private let deliveries: [DeliveryMetricOutcome: Counter]
    private let inbound: [InboundMetricOutcome: Counter]
    private let database: [DatabaseOperationKey: (duration: Timer, errors: Counter)]
    /// Per route template, made on first use: routes are Herald's, so their number is bounded by the router.
    private let routes = Mutex<[String: RouteHandles]>([:])

    /// - Parameter backend: the database whose operations are timed (its series show from the start); none for `off`.
    public init(factory: any MetricsFactory, backend: DatabaseBackendName? = nil, version: String = HeraldVersion.current) {
        self.factory = factory
        messagesAccepted = Counter(label: MetricFamilies.messagesAccepted.name, factory: factory)
        deliveryDuration = Timer(label: MetricFamilies.deliveryDuration.name, factory: factory)
        deliveryLatency = Timer(label: MetricFamilies.deliveryLatency.name, factory: factory)
        endpointsDisabled = Counter(label: MetricFamilies.endpointsDisabled.name, factory: factory)
        queueDue = Gauge(label: MetricFamilies.queueDue.name, factory: factory)
        queueInFlight = Gauge(label: MetricFamilies.queueInFlight.name, factory: factory)
        queueRetrying = Gauge(label: MetricFamilies.queueRetrying.name, factory: factory)
        residentMemory = Gauge(label: MetricFamilies.residentMemory.name, factory: factory)
        openDescriptors = Gauge(label: MetricFamilies.openDescriptors.name, factory: factory)
        // Every outcome and database operation is made up front, so each series shows (at 0) before it first moves.
        deliveries = Dictionary(
            uniqueKeysWithValues: DeliveryMetricOutcome.allCases.map { outcome in
                (outcome, Counter(label: MetricFamilies.deliveries.name, dimensions: [("outcome", outcome.rawValue)], factory: factory))
            }
        )
        inbound = Dictionary(
            uniqueKeysWithValues: InboundMetricOutcome.allCases.map { outcome in
                (outcome, Counter(label: MetricFamilies.inboundRequests.name, dimensions: [("outcome", outcome.rawValue)], factory: factory))
            }
        )
        var database: [DatabaseOperationKey: (Timer, Counter)] = [:]
        for backend in [backend].compactMap({ $0 }) {
            for operation in DatabaseOperation.allCases {
                let dimensions = [("backend", backend.rawValue), ("operation", operation.rawValue)]
                database[DatabaseOperationKey(backend: backend, operation: operation)] = (
                    Timer(label: MetricFamilies.databaseDuration.name, dimensions: dimensions, factory: factory),
                    Counter(label: MetricFamilies.databaseErrors.name, dimensions: dimensions, factory: factory)
                )
            }
        }
        self.database = database
        Gauge(label: MetricFamilies.buildInfo.name, dimensions: [("version", version)], factory: factory).record(1)
    }

    /// Counts a delivery attempt (or a delivery ended without one) by outcome.
    public func countDelivery(_ outcome: DeliveryMetricOutcome) {
        deliveries[outcome]?.increment()
    }

    /// Counts a request to an ingest URL by outcome.
    public func countInbound(_ outcome: InboundMetricOutcome) {
        inbound[outcome]?.increment()
    }

    /// Records one answered HTTP request of `route` (its template, not the path: ids never become labels).
    public func recordRequest(route: String, status: Int, duration: Duration) {
        let handles = routes.withLock { table in
            if let found = table[route] { return found }
            let made = RouteHandles(route: route, factory: factory)
            table[route] = made
            return made
        }
        handles.duration.record(elapsed: duration)
        handles.count(status: status)
    }

    /// Times `operation` on `backend`, counting it as an error if it throws.
    public func timeDatabase<T>(
        _ backend: DatabaseBackendName,
        _ operation: DatabaseOperation,
        _ body: () async throws -> T
    ) async throws -> T {
        let started = ContinuousClock.now
        guard let handles = database[DatabaseOperationKey(backend: backend, operation: operation)] else { return try await body() }
        do {
            let value = try await body()
            handles.duration.record(elapsed: ContinuousClock.now - started)
            return value
        } catch {
            handles.duration.record(elapsed: ContinuousClock.now - started)
            if Self.isDatabaseFailure(error) { handles.errors.increment() }
            throw error
        }
    }

    /// A failure of the database, not an answer to the request: a taken unique value (a client repeating an event
    /// id) or a cancelled call is not one, or any tenant could set off the operator's alert.
    static func isDatabaseFailure(_ error: any Error) -> Bool {
        switch error {
        case is CancellationError: false
        case StorageError.duplicate: false
        default: true
        }
    }

    /// Records a database operation timed elsewhere (inside a synchronous write batch).
    public func recordDatabase(_ backend: DatabaseBackendName, _ operation: DatabaseOperation, duration: Duration, failed: Bool) {
        guard let handles = database[DatabaseOperationKey(backend: backend, operation: operation)] else { return }
        handles.duration.record(elapsed: duration)
        if failed { handles.errors.increment() }
    }
}

/// What became of one delivery attempt, as `herald_deliveries_total` counts it.
/// What became of a request to an ingest URL.
public enum InboundMetricOutcome: String, CaseIterable, Sendable {
    case accepted, duplicate
    case unknownSource = "unknown_source"
    case rateLimited = "rate_limited"
    case tooLarge = "too_large"
    case missingSignature = "missing_signature"
    case badSignature = "bad_signature"
    case staleTimestamp = "stale_timestamp"
    case failed

    public init(_ rejection: InboundRejection) {
        switch rejection {
        case .missingSignature: self = .missingSignature
        case .badSignature: self = .badSignature
        case .staleTimestamp: self = .staleTimestamp
        }
    }
}

public enum DeliveryMetricOutcome: String, CaseIterable, Sendable {
    case success, failure, timeout
    case connectionError = "connection_error"
    case blocked, skipped
}

public enum DatabaseBackendName: String, CaseIterable, Sendable {
    case sqlite, postgres
}

/// The database operations timed: the API's reads and writes, the group commits of messages and of delivery results,
/// and the dispatcher's claims.
public enum DatabaseOperation: String, CaseIterable, Sendable {
    case read, write, claim
    case messageCommit = "message_commit"
    case resultCommit = "result_commit"
}

private struct DatabaseOperationKey: Hashable {
    var backend: DatabaseBackendName
    var operation: DatabaseOperation
}

/// The counters and histogram of one route.
private struct RouteHandles: Sendable {
    let duration: Timer
    /// 1xx to 5xx.
    let classes: [Counter]

    init(route: String, factory: any MetricsFactory) {
        duration = Timer(label: MetricFamilies.httpRequestDuration.name, dimensions: [("route", route)], factory: factory)
        classes = (1...5).map { digit in
            Counter(
                label: MetricFamilies.httpRequests.name,
                dimensions: [("route", route), ("status_class", "\(digit)xx")],
                factory: factory
            )
        }
    }

    func count(status: Int) {
        let digit = min(max(status / 100, 1), 5)
        classes[digit - 1].increment()
    }
}

extension Timer {
    /// Records `elapsed`, clamped to what nanoseconds in an `Int64` hold (292 years) rather than trapping.
    public func record(elapsed: Duration) {
        let (seconds, attoseconds) = elapsed.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return recordNanoseconds(seconds < 0 ? 0 : Int64.max) }
        let (total, carried) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        recordNanoseconds(carried ? Int64.max : max(total, 0))
    }
}
