import HeraldCore
import HeraldSQL
import PostgresNIO

/// An application named by its organisation and its id or uid.
struct ApplicationLookup: Sendable {
    var orgID: String
    var idOrUID: String
}

extension PostgresStore {
    /// An application, read when the API's cache does not have it (on every request while news of other instances'
    /// changes are not followed, `SharedChangeNews`): the lookups of requests arriving together are read by one
    /// statement (`StatementBatcher`), each made after its request arrived.
    public func application(orgID: String, idOrUID: String) async throws -> Application? {
        try await applicationLookups.submit(
            ApplicationLookup(orgID: orgID, idOrUID: idOrUID),
            splits: { _ in false },
            run: { lookups in
                var bindings = Bindings()
                bindings.add(lookups.map(\.orgID))
                bindings.add(lookups.map(\.idOrUID))
                bindings.add(lookups.map { IDPrefix.application.isID($0.idOrUID) })
                let statement = bindings.statement(Statements.Applications.self)
                let rows = try await self.perform { client in try await client.rows(statement) }
                var found = [Application?](repeating: nil, count: lookups.count)
                for row in rows {
                    // The lookup's number comes back from the database: checked, not trusted, before indexing.
                    let number = try row.value("lookup", as: Int64.self)
                    guard number >= 1, number <= Int64(lookups.count) else {
                        throw StorageError.unreadable("an application lookup numbered \(number)")
                    }
                    found[Int(number) - 1] = try Application(stored: row)
                }
                return found
            }
        )
    }
}
