import PostgresNIO

extension PostgresStore {
    /// Turns PostgreSQL's JIT compilation off for Herald's role in its database, and on the connection at hand.
    ///
    /// Herald's statements are short, and JIT pays only for long analytic queries; PostgreSQL decides from cost
    /// estimates, and the claim's passes `jit_above_cost` once the messages table holds a few hundred thousand rows
    /// (its join with a few dozen claimed rows is estimated at thousands). Every claim then compiled for ~45 ms on this
    /// machine before it ran for 4, and healthy endpoints' p99 went from 4 to 120–170 ms (BENCHMARKS.md, "Dead
    /// backlog"). `ALTER ROLE … IN DATABASE` is allowed to any role for itself and reaches every new session, through
    /// PgBouncer too (a startup parameter would not: PgBouncer refuses unknown ones).
    ///
    /// Only JIT left at the server's setting is changed: one set for the role, the database or the connection is the
    /// operator's choice. A role that may not change it, or that runs as another role (`SET ROLE`, whose settings new
    /// sessions would not get), is logged and served.
    func turnOffJIT() async {
        let outcome: JITOutcome
        do {
            outcome = try await perform { client in
                try await client.withConnection { connection in
                    do {
                        return try await Self.turnOffJIT(on: connection)
                    } catch {
                        // Kept as it is: `perform` would report a refusal on a standby as the database being away.
                        return .failed(String(reflecting: error))
                    }
                }
            }
        } catch {
            outcome = .failed(String(reflecting: error))
        }
        switch outcome {
        case .turnedOff:
            logger.notice("turned PostgreSQL's JIT compilation off for Herald's role in its database (ALTER ROLE … IN DATABASE … SET jit = off)")
        case .leftAlone:
            break
        case .otherRole(let sessionUser, let currentUser):
            logger.warning(
                "PostgreSQL's JIT compilation is on and Herald did not turn it off: it logs in as \(sessionUser) but runs as \(currentUser); set jit = off for \(sessionUser) (ALTER ROLE … SET jit = off), or claims may wait for it to compile once tables are large"
            )
        case .failed(let error):
            logger.warning(
                "could not turn PostgreSQL's JIT compilation off for Herald's role; claims may wait for it to compile once tables are large (run ALTER ROLE … SET jit = off)",
                metadata: ["herald.error": "\(error)"]
            )
        }
    }

    enum JITOutcome: Sendable {
        case turnedOff
        case leftAlone
        case otherRole(sessionUser: String, currentUser: String)
        case failed(String)
    }

    private static func turnOffJIT(on connection: PostgresConnection) async throws -> JITOutcome {
        let rows = try await connection.rows(
            """
            SELECT setting = 'on' AS jit, source IN ('default', 'configuration file', 'command line', 'environment variable') AS server_wide,
                session_user::text AS login_role, current_user::text AS acting_role
            FROM pg_catalog.pg_settings WHERE name = 'jit'
            """,
            logger: connection.logger
        )
        guard let row = rows.first, try row.value("jit", as: Bool.self), try row.value("server_wide", as: Bool.self) else {
            return .leftAlone
        }
        let sessionUser = try row.value("login_role", as: String.self)
        let currentUser = try row.value("acting_role", as: String.self)
        guard sessionUser == currentUser else { return .otherRole(sessionUser: sessionUser, currentUser: currentUser) }
        // This connection first: it stays in the pool, and the role's setting reaches only sessions opened after.
        try await connection.run("SET jit = off", logger: connection.logger)
        // A lock on the role held elsewhere makes it give up rather than hold a connection while the start goes on.
        try await connection.run(
            """
            DO $$ BEGIN
                PERFORM pg_catalog.set_config('lock_timeout', '2s', true);
                EXECUTE pg_catalog.format('ALTER ROLE CURRENT_USER IN DATABASE %I SET jit = off', pg_catalog.current_database());
            END $$
            """,
            logger: connection.logger
        )
        return .turnedOff
    }
}
