/// Where applications live. Every call is scoped by organisation.
public protocol ApplicationStore: Sendable {
    /// Inserts a new application; throws `StorageError.duplicate` when its uid is taken in the org.
    func createApplication(_ application: Application) async throws
    /// The live application with this id or uid, if any.
    func application(orgID: String, idOrUID: String) async throws -> Application?
    /// Replaces a live application's fields; throws `StorageError.duplicate` when the new uid is taken.
    func updateApplication(_ application: Application) async throws
    /// Soft-deletes an application, releasing its uid.
    func deleteApplication(orgID: String, id: String) async throws
    /// Sets the private networks a live application's endpoints may be reached in (see `Application.allowedSubnets`).
    func setAllowedSubnets(orgID: String, appID: String, subnets: [IPNetwork]) async throws
    /// Lists live applications by id.
    func listApplications(orgID: String, page: PageRequest) async throws -> Page<Application>
}
