import Foundation
import HeraldCore
import HeraldSQLite
import HeraldSetup

/// `herald backup`: a running embedded server's database and the key files beside it, copied consistently.
public enum Backup {
    /// What a backup wrote and what the operator must keep with it.
    public struct Result: Sendable {
        public let database: SQLiteBackup.Report
        /// Every file written, the database first.
        public let files: [String]
        /// Keys found in no file beside the database: the server takes them from its settings, and the copy needs them.
        public let keysToKeep: [String]
    }

    /// The key files kept beside a SQLite database, and the setting that replaces each.
    static let keyFiles: [(suffix: String, setting: String)] = [
        (".main-key", "main_key (HERALD_MAIN_KEY)"),
        (".jwt-secret", "jwt_secret (HERALD_JWT_SECRET)"),
        (".operational-secret", "operational_webhook_secret (HERALD_OPERATIONAL_WEBHOOK_SECRET)"),
    ]

    /// Copies the SQLite database of `configuration` to `destination`, then every key file beside it to `destination`
    /// plus the same suffix (`0600`), so `herald serve --database sqlite:DESTINATION` opens the copy as it is.
    /// Nothing is overwritten: every destination must be new.
    public static func run(_ configuration: HeraldConfiguration, to destination: String) throws -> Result {
        guard case .sqlite(let source) = configuration.database else {
            throw ConfigurationError(
                "herald backup copies the embedded SQLite database; back PostgreSQL up with pg_basebackup or pg_dump"
            )
        }
        // Every key file beside the database is copied, whatever this process's settings say: the server may read
        // other ones (the systemd unit's environment file, say). A key found in no file is named for the operator.
        var keys: [(path: String, text: String)] = []
        var keysToKeep: [String] = []
        for key in keyFiles {
            if let text = try SecretFile.readExisting(source + key.suffix) {
                keys.append((destination + key.suffix, text.trimmingCharacters(in: .whitespacesAndNewlines)))
            } else if key.suffix != ".operational-secret" {
                keysToKeep.append(key.setting)
            }
        }
        for key in keys where FileManager.default.fileExists(atPath: key.path) {
            throw ConfigurationError("\(key.path) exists; a backup is written to new paths only")
        }
        let report = try SQLiteBackup.copy(from: source, to: destination)
        for key in keys where try !SecretFile.createNew(at: key.path, text: key.text) {
            throw ConfigurationError("\(key.path) appeared during the backup; the database copy is at \(destination)")
        }
        try SQLiteBackup.syncFile(URL(fileURLWithPath: destination).deletingLastPathComponent().path)
        return Result(database: report, files: [destination] + keys.map(\.path), keysToKeep: keysToKeep)
    }
}
