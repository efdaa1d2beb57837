import HeraldCore
import PostgresNIO

extension PostgresStore {
    /// Every request checks its token: a prepared statement rather than the shared statement text.
    public func isTokenRevoked(hashes: [String]) async throws -> Bool {
        var bindings = Bindings()
        bindings.add(hashes)
        let statement = bindings.prepared(Statements.RevokedToken.self)
        return try await perform { client in !(try await client.rows(statement).isEmpty) }
    }
}
