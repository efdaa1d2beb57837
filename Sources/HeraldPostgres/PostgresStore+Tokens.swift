import HeraldCore
import PostgresNIO

extension PostgresStore {
    /// Every API request checks its token (instances share the database, so a logout on one must hold on all at once):
    /// the checks of requests arriving together are read by one statement (`StatementBatcher`), each made after its
    /// request arrived.
    public func isTokenRevoked(hashes: [String]) async throws -> Bool {
        try await revocationLookups.submit(
            hashes,
            splits: { _ in false },
            run: { lookups in
                var bindings = Bindings()
                bindings.add(Array(Set(lookups.joined())))
                let statement = bindings.prepared(Statements.RevokedToken.self)
                let rows = try await self.perform { client in try await client.rows(statement) }
                let revoked = Set(try rows.map { try $0.value("token_hash", as: String.self) })
                return lookups.map { hashes in hashes.contains { revoked.contains($0) } }
            }
        )
    }
}
