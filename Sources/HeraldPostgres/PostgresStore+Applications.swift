import HeraldCore
import HeraldSQL
import PostgresNIO

extension PostgresStore {
    /// Every accepted message looks its application up: prepared statements, parsed once per connection, rather than
    /// the shared statement text.
    public func application(orgID: String, idOrUID: String) async throws -> Application? {
        var bindings = Bindings()
        bindings.add(orgID)
        bindings.add(idOrUID)
        if IDPrefix.application.isID(idOrUID) {
            let statement = bindings.prepared(Statements.ApplicationByID.self)
            return try await perform { client in try await client.rows(statement).first.map { try Application(stored: $0) } }
        }
        let statement = bindings.prepared(Statements.ApplicationByUID.self)
        return try await perform { client in try await client.rows(statement).first.map { try Application(stored: $0) } }
    }
}
