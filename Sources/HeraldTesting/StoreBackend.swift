import HeraldCore
import HeraldSQLite

/// A storage backend the contract tests run against. SQLite always; others when their environment is set.
public struct StoreBackend: Sendable, CustomStringConvertible {
    public let description: String
    private let open: @Sendable () async throws -> (any HeraldStore, TemporaryDirectory?)

    /// A fresh, empty store; keep the returned directory alive while using it.
    public func makeStore() async throws -> (store: any HeraldStore, directory: TemporaryDirectory?) {
        try await open()
    }

    public static let sqlite = StoreBackend(description: "SQLite") {
        let directory = try TemporaryDirectory()
        return (try SQLiteStore(path: directory.file("herald.db"), sealer: .forTests), directory)
    }

    /// Every backend available in this environment.
    public static var all: [StoreBackend] { [.sqlite] }
}
