/// Everything Herald stores, behind one value per backend.
public protocol HeraldStore: ApplicationStore, EventTypeStore, EndpointStore, MessageStore, IdempotencyStore, DeliveryQueue,
    AttemptStore, TokenRevocationStore, PollerStore, LiveStore, SourceStore
{
    /// Throws when the database cannot answer.
    func checkHealth() async throws
    /// Whether other Herald instances may share this store, so no instance may answer from a private cache unless
    /// `sharedChanges` tells it what the others change.
    var servesSeveralInstances: Bool { get }
    /// News of what any instance sharing the store changes (nil: only this process changes it).
    var sharedChanges: SharedChangeNews? { get }
    /// Tells the other instances sharing the store of a committed change (through their `sharedChanges`; the caller
    /// applies it to its own caches). Best effort: a failure is the store's to log, and caches' own time to live bounds
    /// what it costs.
    func announce(_ change: SharedChange) async
}

extension HeraldStore {
    public var servesSeveralInstances: Bool { false }
    public var sharedChanges: SharedChangeNews? { nil }
    public func announce(_ change: SharedChange) async {}
}
