import HeraldCore
import PostgresNIO

extension PostgresStore {
    /// A token's revocation, read when it is first verified and on every request while news of other instances'
    /// logouts are not followed (`SharedChangeNews`): the checks of requests arriving together are read by one
    /// statement (`StatementBatcher`), each made after its request arrived.
    public func isTokenRevoked(hashes: [String]) async throws -> Bool {
        try await revocationLookups.submit(
            hashes,
            splits: { _ in false },
            run: { lookups in
                let hashes = Array(Set(lookups.joined()))
                var bindings = Bindings()
                bindings.add(hashes)
                let statement = bindings.statement(Statements.RevokedTokens.self)
                let rows = try await self.perform { client in try await client.rows(statement) }
                let marks = Array(try rows.first?.value("revoked", as: String.self) ?? "")
                // A hash the answer does not mark (it cannot be short, but it comes from outside) counts as revoked.
                let revoked = Set(hashes.indices.filter { !marks.indices.contains($0) || marks[$0] != "0" }.map { hashes[$0] })
                return lookups.map { hashes in hashes.contains { revoked.contains($0) } }
            }
        )
    }
}
