import HeraldCore
import HeraldDelivery
import HeraldSQLite
import Logging

/// A dispatcher over a fresh SQLite store with one application, driven by a manual clock.
public struct DeliveryHarness: Sendable {
    public static let orgID = "org_delivery000000000000000000"
    public static let secret = EndpointSecret(parsing: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!

    public let directory: TemporaryDirectory
    public let store: SQLiteStore
    public let clock: ManualClock
    public let settings: DeliverySettings
    public let application: Application

    public let resolver: any HostResolver

    /// Loopback receivers are reachable unless `settings` says otherwise: the default policy gains `127.0.0.0/8`.
    public init(
        settings: DeliverySettings = .loopbackAllowed,
        resolver: any HostResolver = SystemHostResolver(),
        applicationThrottleRate: Int? = nil
    ) async throws {
        directory = try TemporaryDirectory()
        store = try SQLiteStore(path: directory.file("herald.db"), sealer: .forTests)
        clock = ManualClock()
        self.settings = settings
        self.resolver = resolver
        let now = clock.now()
        application = Application(
            id: IDPrefix.application.makeID(timestampMs: now.milliseconds),
            orgID: Self.orgID,
            uid: "shop",
            name: "Shop",
            throttleRate: applicationThrottleRate,
            metadata: [:],
            createdAt: now,
            updatedAt: now
        )
        try await store.createApplication(application)
    }

    /// Adds an endpoint pointing at `url`.
    @discardableResult
    public func addEndpoint(
        url: String,
        eventTypes: [String]? = nil,
        channels: [String]? = nil,
        headers: [String: String] = [:],
        secret: EndpointSecret = DeliveryHarness.secret,
        previousSecrets: [ExpiringSecret] = [],
        policy: EndpointPolicy = EndpointPolicy(),
        throttleRate: Int? = nil
    ) async throws -> Endpoint {
        let now = clock.now()
        let endpoint = Endpoint(
            id: IDPrefix.endpoint.makeID(timestampMs: now.milliseconds),
            appID: application.id,
            uid: nil,
            url: url,
            description: "",
            disabled: false,
            eventTypes: eventTypes,
            channels: channels,
            throttleRate: throttleRate,
            metadata: [:],
            headers: headers,
            secret: secret,
            previousSecrets: previousSecrets,
            policy: policy,
            createdAt: now,
            updatedAt: now
        )
        try await store.createEndpoint(endpoint)
        return endpoint
    }

    /// Accepts a message as the API does: stored and fanned out in one transaction.
    @discardableResult
    public func send(
        eventType: String = "order.paid",
        payload: String = #"{"amount": 1}"#,
        channels: [String]? = nil
    ) async throws
        -> Message
    {
        let now = clock.now()
        let message = Message(
            id: IDPrefix.message.makeID(timestampMs: now.milliseconds),
            appID: application.id,
            eventType: eventType,
            eventID: nil,
            channels: channels,
            payload: Array(payload.utf8),
            payloadExpiresAt: now.adding(seconds: 86_400),
            createdAt: now
        )
        try await store.createMessage(message)
        return message
    }

    /// Every attempt for a message, oldest first.
    public func attempts(of message: Message) async throws -> [Attempt] {
        let range = IDRange(lower: "atmpt_", upper: "atmpt_~")
        let page = try await store.listAttempts(
            appID: application.id,
            query: AttemptQuery(page: PageRequest(limit: 250, order: .ascending), idRange: range, messageID: message.id)
        )
        return page.items
    }

    /// Runs a dispatcher for the duration of `body`.
    public func withDispatcher<T: Sendable>(
        operational: OperationalWebhooks? = nil,
        queue: (any DeliveryQueue)? = nil,
        _ body: @Sendable (Dispatcher) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "dispatcher")
        logger.logLevel = .warning
        let dispatcher = Dispatcher(
            store: queue ?? store,
            settings: settings,
            clock: clock,
            operational: operational,
            releaseAllLeasesAtStart: true,
            resolver: resolver,
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await dispatcher.run() }
            defer { group.cancelAll() }
            return try await body(dispatcher)
        }
    }

    /// Polls until `condition` holds (real time, at most `timeout`), waking the dispatcher each time.
    public func eventually(
        timeout: Duration = .seconds(10),
        _ dispatcher: Dispatcher,
        _ condition: @Sendable () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            dispatcher.wake()
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}

extension DeliverySettings {
    /// Default settings with loopback allowed, for tests against receivers on 127.0.0.1.
    public static var loopbackAllowed: DeliverySettings {
        var settings = DeliverySettings()
        settings.destinationPolicy = DestinationPolicy(allowedSubnets: [IPNetwork("127.0.0.0/8")!])
        return settings
    }
}
