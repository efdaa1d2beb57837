import HeraldCore
import HeraldSQL
import HeraldTesting
import Testing

@testable import HeraldPostgres

/// PostgreSQL closing a connection in the middle of a long result (a crash, a restart, a failover,
/// `pg_terminate_backend`) fails that one query and nothing else. (Found by the soak: PostgresNIO 1.33.2 ends the
/// process when the server closes a connection while a result's rows wait for their reader; Herald reads every answer
/// that can be long as it arrives, so its rows never wait — see `PostgresConnection.rows`.)
@Suite(.enabled(if: StoreBackend.postgresURL != nil, "needs HERALD_TEST_POSTGRES_URL"))
struct PostgresDroppedConnectionTests {
    /// Rows enough (about 60 MB) that the result arrives over many reads, with the server still sending when it is cut.
    static let longResult = "SELECT g, repeat('x', 200) AS filler FROM generate_series(1, 300000) g /* long-result */"
    static let cutLongResults = """
        SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity
        WHERE query LIKE '%long-result */' AND state = 'active' AND pid <> pg_backend_pid()
        """

    @Test func aConnectionClosedMidResultFailsOnlyItsQuery() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try PostgresLocation(parsing: StoreBackend.postgresURL ?? ""))
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { stores in
            let store = stores[0]
            // A round whose query was lent a connection cut in an earlier round (the pool had not noticed yet) fails
            // alone and is run again.
            var roundsCut = 0
            for _ in 0..<20 where roundsCut < 3 {
                let long = Task { try await store.read([SQLStatement(.postgres, Self.longResult)]) { $0[0].count } }
                var cut = false
                for _ in 0..<500 where !cut {
                    cut =
                        (try? await store.read([SQLStatement(.postgres, Self.cutLongResults)]) { results in
                            try results[0].contains { try $0.value("cut", as: Bool.self) }
                        }) ?? false
                    // A pause lets the result get going: the reader falls behind, and the rows wait for it.
                    if !cut { try await Task.sleep(for: .milliseconds(20)) }
                }
                let outcome = await long.result
                // A cut that came after the server had sent the whole answer leaves nothing to test: run again.
                guard cut, case .failure = outcome else { continue }
                roundsCut += 1
                #expect(throws: StorageError.unavailable) { _ = try outcome.get() }
            }
            #expect(roundsCut == 3)
            // The process and its pool carry on (after at most a connection or two found cut).
            var answer: Int?
            for _ in 0..<3 where answer == nil {
                answer = try? await store.read([SQLStatement(.postgres, "SELECT 1 AS one")]) { try $0[0][0].value("one", as: Int.self) }
            }
            #expect(answer == 1)
        }
    }
}
