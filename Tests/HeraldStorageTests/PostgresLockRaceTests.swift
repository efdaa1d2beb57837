import HeraldCore
import HeraldSQL
import HeraldTesting
import Testing

@testable import HeraldPostgres

/// Two transactions taking the same rows' locks in opposite orders: PostgreSQL ends one as a deadlock; it rolled back
/// whole, so it runs again instead of failing its request with a 500.
@Suite(.enabled(if: StoreBackend.postgresURL != nil, "needs HERALD_TEST_POSTGRES_URL"))
struct PostgresLockRaceTests {
    @Test func aWriteEndedAsADeadlockRunsAgain() async throws {
        let location = try await PostgresInstances.freshDatabase(server: try PostgresLocation(parsing: StoreBackend.postgresURL ?? ""))
        try await PostgresInstances.withInstances(1, on: location, sealer: .forTests) { stores in
            let store = stores[0]
            let setUp = ["CREATE TABLE lock_race (id INT PRIMARY KEY, hits INT NOT NULL)", "INSERT INTO lock_race VALUES (1, 0), (2, 0)"]
            try await store.write(setUp.map { SQLStatement(.postgres, $0) }, conflict: nil) { _ in () }
            // Each holds its first row while the other takes its own, then asks for the other's.
            func crossing(_ first: Int, _ second: Int) -> [SQLStatement] {
                [
                    "UPDATE lock_race SET hits = hits + 1 WHERE id = \(first)",
                    "SELECT pg_sleep(0.3)",
                    "UPDATE lock_race SET hits = hits + 1 WHERE id = \(second)",
                ].map { SQLStatement(.postgres, $0) }
            }
            async let one: Void = store.write(crossing(1, 2), conflict: nil) { _ in () }
            async let other: Void = store.write(crossing(2, 1), conflict: nil) { _ in () }
            _ = try await (one, other)
            let hits = try await store.read([SQLStatement(.postgres, "SELECT hits FROM lock_race ORDER BY id")]) { results in
                try results[0].map { try $0.value("hits", as: Int.self) }
            }
            // Each write counted once: the one PostgreSQL ended ran again, whole.
            #expect(hits == [2, 2])
        }
    }
}
