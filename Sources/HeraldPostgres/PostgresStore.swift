import HeraldCore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle
import Synchronization
import _ConnectionPoolModule

/// The scale-out backend: several Herald instances share one PostgreSQL database. Deliveries are claimed with
/// `FOR UPDATE SKIP LOCKED` and a lease, new work wakes every instance's dispatcher through `LISTEN/NOTIFY`, and
/// everything that must agree across instances (idempotency keys, failure tracking, revoked tokens) lives in tables.
///
/// Every call is bounded by `operationTimeout`: with the database down a request fails fast with a 503 rather than
/// waiting for a connection that is not coming.
public final class PostgresStore: HeraldStore, Service {
    let client: PostgresClient
    public let sealer: SecretSealer
    let logger: Logger
    /// Where database timings go.
    let metrics: HeraldMetrics
    let operationTimeout: Duration
    /// How wide the time partitions made at start are (retention's upkeep then makes them as its period asks).
    let partitionWidthSeconds: Int64
    /// Signalled after a commit that made deliveries due, here or (through NOTIFY) on another instance.
    public let newWork = WorkSignal()
    /// Signalled after a commit that appended to a polling endpoint's feed, here or on another instance.
    public let feedChanged = WorkSignal(remembering: false)
    /// Tells the other instances about new work.
    let announcer = WorkAnnouncer()
    /// This process's dispatcher, when it takes deliveries leased as their messages are stored (`AcceptanceLeases`).
    let acceptanceTaker = Mutex<(any AcceptedDeliveryTaker)?>(nil)
    let watchdog = DeadlineWatchdog()
    /// Group commit of routine delivery results.
    let results = StatementBatcher<RoutineResult, Void>(maxBatch: 256)
    /// Group commit of accepted messages (with their fan-out): up to 256, and 16 MiB of payloads (and the idempotent
    /// answers that repeat them), per statement.
    let messages = StatementBatcher<Message, Bool>(maxBatch: 256, maxWeight: 16 << 20) {
        ($0.payload?.count ?? 0) + ($0.idempotentAnswer?.response.body.count ?? 0)
    }
    /// Token revocation lookups (one per API request when instances share the database), read together.
    let revocationLookups = StatementBatcher<[String], Bool>(maxBatch: 256)
    /// Application lookups (one per API request naming an application), read together.
    let applicationLookups = StatementBatcher<ApplicationLookup, Application?>(maxBatch: 256)
    private let readiness = Readiness()
    /// Whether an outage is news (logged once when it starts, once when it ends).
    private let outages = OutageJudge()
    private let notificationsReceived = Atomic<Int>(0)
    /// The start check's notification while it is awaited (`NotificationCheck`); other instances' checks pass by.
    let awaitedCheck = Mutex<String?>(nil)

    /// Whether this instance currently follows other instances' announcements of new work.
    public var isListeningForWork: Bool { changeNews.isFollowing }
    /// How many announcements of new work have arrived from other instances.
    public var workNotificationsReceived: Int { notificationsReceived.load(ordering: .relaxed) }

    public var servesSeveralInstances: Bool { true }
    /// Changes any instance makes to what API caches keep, followed on the listening connection.
    public var sharedChanges: SharedChangeNews? { changeNews }
    let changeNews = SharedChangeNews()

    public init(
        location: PostgresLocation,
        sealer: SecretSealer,
        maxConnections: Int = 24,
        operationTimeout: Duration = .seconds(5),
        partitionWidthSeconds: Int64 = PartitionWidth.maximumSeconds,
        metrics: HeraldMetrics = .off,
        logger: Logger
    ) {
        self.metrics = metrics
        self.partitionWidthSeconds = partitionWidthSeconds
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: location.requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(3)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.sealer = sealer
        self.logger = logger
        self.operationTimeout = operationTimeout
    }

    /// Migrations may take longer than one request may wait: an upgrade that rewrites a large table, say.
    static let migrationTimeout = Duration.seconds(600)

    /// Waits until the store has applied pending migrations and can serve (throws if it could not start).
    public func ready() async throws {
        try await readiness.wait()
    }

    /// Runs the connection pool and its deadline watchdog, applies pending migrations (then `ready()` returns), and
    /// runs the LISTEN loop and the NOTIFY sender until graceful shutdown or cancellation. Everything else in the
    /// process uses the store, so it goes first in the service group: started first, stopped last.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.watchdog.run() }
            group.addTask { await self.listenForWork() }
            do {
                // An unreachable database fails the start within `operationTimeout`; only migrating gets longer. A
                // shutdown asked for meanwhile cancels the migration (its transaction rolls back) and ends the start.
                try await cancelWhenGracefulShutdown {
                    try await self.checkHealth()
                    // Before anything else: behind a pooler that drops LISTEN, migrating would go wrong in odder ways.
                    try await self.checkNotificationsArrive()
                    // After it: a pool that refuses to serve Herald gets no change to the role either.
                    await self.turnOffJIT()
                    let applied = try await self.perform(timeout: Self.migrationTimeout) { client in
                        try await PostgresMigrations.migrate(client: client, sealer: self.sealer, logger: self.logger)
                    }
                    if !applied.isEmpty { self.logger.notice("applied PostgreSQL migrations \(applied.joined(separator: ", "))") }
                }
                // Messages accepted before these exist go to the default partition, which retention prunes row by row:
                // a failure here costs only that.
                do {
                    try await self.createPartitions(now: .now(), widthSeconds: self.partitionWidthSeconds)
                } catch {
                    self.logger.warning("creating time partitions failed", metadata: ["herald.error": "\(String(reflecting: error))"])
                }
                outages.beginServing()
                readiness.open(.success(()))
            } catch {
                if Self.translate(error, conflict: nil) as? StorageError == .unavailable {
                    logger.error(
                        "PostgreSQL is unreachable; Herald cannot start without it",
                        metadata: ["herald.error": "\(String(reflecting: error))"]
                    )
                }
                readiness.open(.failure(error))
                group.cancelAll()
                if error is CancellationError { return }
                throw error
            }
            group.addTask { await self.announcer.run(client: self.client, watchdog: self.watchdog, logger: self.logger) }
            // Returns at graceful shutdown, throws at cancellation: either way the loops and the pool stop.
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// The applied migration identifiers, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await perform { client in
            try await client.rows("SELECT identifier FROM herald_migrations ORDER BY identifier").map { try $0.value("identifier") }
        }
    }

    /// Wakes this instance's dispatcher and, soon after, every other instance's.
    public func leaseOnAcceptance(to taker: any AcceptedDeliveryTaker) {
        acceptanceTaker.withLock { $0 = taker }
    }

    public func stopLeasingOnAcceptance(to taker: any AcceptedDeliveryTaker) {
        acceptanceTaker.withLock { current in
            if current === taker { current = nil }
        }
    }

    func announceNewWork() {
        newWork.signal()
        announcer.announce()
    }

    /// Tells every other instance through `NOTIFY` (this one applied it already; its echo clears again). Sent after the change's commit, so an instance
    /// that reads the value again on this news reads the change.
    public func announce(_ change: SharedChange) async {
        let payload = change.notificationPayload
        do {
            try await perform { client in try await client.run("SELECT pg_notify(\(WorkAnnouncer.channel), \(payload))") }
        } catch {
            logger.warning(
                "telling other instances of a change failed; their caches keep the old value for at most their time to live",
                metadata: ["herald.error": "\(String(reflecting: error))", "herald.change": "\(payload)"]
            )
        }
    }

    /// Follows `NOTIFY herald_work` on a dedicated connection for as long as the store runs, reconnecting after a
    /// failure; each (re)subscription also wakes the dispatcher, in case work was announced while it was away, and
    /// starts the API's caches over (`SharedChangeNews`), in case a change was.
    func listenForWork() async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: WorkAnnouncer.channel) { notifications in
                        // Work news and change news arrive together, so one flag says both are followed.
                        self.changeNews.startedFollowing()
                        defer { self.changeNews.stoppedFollowing() }
                        self.newWork.signal()
                        self.feedChanged.signal()
                        backoff = .milliseconds(100)
                        // One channel for every kind of news: a dispatcher or a poller woken for nothing looks and
                        // sleeps again, which costs less than a second NOTIFY per commit.
                        for try await notification in notifications {
                            // Start checks (this instance's or another's) are not news of work.
                            guard !notification.payload.hasPrefix(NotificationCheck.prefix) else {
                                self.awaitedCheck.withLock { if $0 == notification.payload { $0 = nil } }
                                continue
                            }
                            if let change = SharedChange(notificationPayload: notification.payload) {
                                self.changeNews.deliver(change)
                                continue
                            }
                            // The feed's readers get a second chance: a wake-up is not remembered for them, and an
                            // entry behind a transaction still open elsewhere is not readable yet at the first.
                            self.feedChanged.signal()
                            // This instance's own announcement woke its dispatcher when it was made (and that signal
                            // is remembered): a second would only cost an empty claim.
                            if notification.payload == self.announcer.tag { continue }
                            self.notificationsReceived.add(1, ordering: .relaxed)
                            self.newWork.signal()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening for new work failed; retrying", metadata: ["herald.error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }
}

extension PostgresStore {
    /// Runs one database operation within `timeout` (by default `operationTimeout`), turning driver errors into what the API shows: a
    /// uniqueness violation into `conflict` (when given), a lost or unreachable database into a 503.
    func perform<T: Sendable>(
        conflict: StorageError? = nil,
        timeout: Duration? = nil,
        _ operation: @escaping @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let start = ContinuousClock.now
        do {
            let value = try await watchdog.withDeadline(timeout ?? operationTimeout) { try await operation(self.client) }
            if outages.succeeded(startedAt: start) {
                logger.notice("PostgreSQL is reachable again")
            }
            return value
        } catch {
            let translated = Self.translate(error, conflict: conflict)
            if translated as? StorageError == .unavailable {
                switch outages.failedUnreachable(startedAt: start) {
                case .outageStarted:
                    logger.error(
                        "PostgreSQL is unreachable; requests answer 503 until it is back",
                        metadata: ["herald.error": "\(String(reflecting: error))"]
                    )
                case .isolated(let unlogged):
                    logger.warning(
                        "a PostgreSQL operation failed while others succeed (a closed connection, or an overloaded pool or server); answered 503",
                        metadata: ["herald.error": "\(String(reflecting: error))", "herald.unlogged_since_last": "\(unlogged)"]
                    )
                case .known:
                    break
                }
            }
            throw translated
        }
    }

    /// The error the API shows for a driver error (a transaction's error is judged by what went wrong inside it).
    static func translate(_ error: any Error, conflict: StorageError?) -> any Error {
        switch error {
        case let error as StorageError:
            return error
        case let error as PostgresTransactionError:
            guard let cause = error.closureError ?? error.commitError ?? error.beginError else { return unavailable(error) }
            return translate(cause, conflict: conflict)
        case let error as PSQLError:
            guard let state = error.serverInfo?[.sqlState] else { return unavailable(error) }
            if state == "23505", let conflict { return conflict }
            // Connection exceptions, shutdowns and exhausted resources: the database, not the request, is at fault.
            if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") { return unavailable(error) }
            // A node that is not (or no longer) the primary, reached during a switchover: the database is away too.
            if state == "25006" { return unavailable(error) }
            return error
        case is PostgresDecodingError:
            return StorageError.unreadable("a stored value could not be decoded")
        case is DatabaseTimeout, is ConnectionPoolError, is ChannelError, is IOError, is NIOConnectionError, is EventLoopError:
            return unavailable(error)
        default:
            return error
        }
    }

    static func unavailable(_ error: any Error) -> StorageError {
        .unavailable
    }

    /// Whether a batch's failure may be one entry's fault, so the batch is worth running again entry by entry: a value
    /// the database refuses (class 22) or a constraint one entry breaks (class 23). Not the database being away, a
    /// timeout, a cancellation, a lost race for locks or the database's own fault — running 256 statements one by one
    /// would only fail 256 times.
    static let causedByEntry: @Sendable (any Error) -> Bool = { error in
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23")
    }

    /// Runs `operation` in one transaction within `operationTimeout`.
    func transaction<T: Sendable>(
        conflict: StorageError? = nil,
        _ operation: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        return try await perform(conflict: conflict) { client in
            try await client.withTransaction(logger: logger) { connection in try await operation(connection) }
        }
    }
}
