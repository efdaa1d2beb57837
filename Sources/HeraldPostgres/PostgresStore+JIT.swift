import PostgresNIO

extension PostgresStore {
    /// Turns PostgreSQL's JIT compilation off for Herald's role in its database, and on the connection at hand.
    ///
    /// Herald's statements are short, and JIT pays only for long analytic queries; PostgreSQL decides from cost
    /// estimates, and the claim's passes `jit_above_cost` once the messages table holds a few hundred thousand rows
    /// (its join with a few dozen claimed rows is estimated at thousands). Every claim then compiled for ~45 ms on this
    /// machine before it ran for 4, and healthy endpoints' p99 went from 4 to 120–170 ms (BENCHMARKS.md, "Dead
    /// backlog"). `ALTER ROLE CURRENT_USER IN DATABASE` is allowed to any role for itself and reaches every new session,
    /// through PgBouncer too (a startup parameter would not: PgBouncer refuses unknown ones). A role whose JIT is
    /// already off is left alone; one that may not change the setting is logged and served.
    func turnOffJIT() async {
        do {
            let changed = try await perform { client in
                try await client.withConnection { connection in
                    let rows = try await connection.rows("SELECT current_setting('jit') = 'on' AS jit", logger: connection.logger)
                    guard try rows.first?.value("jit", as: Bool.self) == true else { return false }
                    try await connection.run(
                        """
                        DO $$ BEGIN
                            EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET jit = off', current_database());
                        END $$
                        """,
                        logger: connection.logger
                    )
                    try await connection.run("SET jit = off", logger: connection.logger)
                    return true
                }
            }
            if changed {
                logger.notice("turned PostgreSQL's JIT compilation off for Herald's role in its database (ALTER ROLE … IN DATABASE … SET jit = off)")
            }
        } catch {
            logger.warning(
                "could not turn PostgreSQL's JIT compilation off for Herald's role; claims may wait for it to compile once tables are large (run ALTER ROLE … SET jit = off)",
                metadata: ["herald.error": "\(String(reflecting: error))"]
            )
        }
    }
}
