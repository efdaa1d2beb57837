/// Everything Herald stores, behind one value per backend.
public protocol HeraldStore: ApplicationStore, EventTypeStore, EndpointStore, MessageStore, IdempotencyStore, DeliveryQueue,
    AttemptStore, TokenRevocationStore, PollerStore, LiveStore, SourceStore
{
    /// Throws when the database cannot answer.
    func checkHealth() async throws
    /// Whether other Herald instances may share this store, so no instance may answer from a private cache.
    var servesSeveralInstances: Bool { get }
}

extension HeraldStore {
    public var servesSeveralInstances: Bool { false }
}
