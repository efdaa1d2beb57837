/// Where an application's endpoints live.
public protocol EndpointStore: Sendable {
    /// Inserts an endpoint; throws 409 when its uid is taken in the application.
    func createEndpoint(_ endpoint: Endpoint) async throws
    /// The live endpoint with this id or uid, if any.
    func endpoint(appID: String, idOrUID: String) async throws -> Endpoint?
    /// Replaces a live endpoint's fields; throws 409 when the new uid is taken.
    func updateEndpoint(_ endpoint: Endpoint) async throws
    /// Soft-deletes an endpoint, releasing its uid.
    func deleteEndpoint(appID: String, id: String) async throws
    /// How many live endpoints the application has.
    func countEndpoints(appID: String) async throws -> Int
    /// Lists live endpoints by id.
    func listEndpoints(appID: String, page: PageRequest) async throws -> Page<Endpoint>
}
