import ArgumentParser
import HeraldKit
import HeraldSettings

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a SQLite database consistently, and its key files, while Herald serves from it.",
        discussion: """
            Writes DESTINATION (one consistent snapshot; ingest and delivery go on) and, beside it, the key files \
            the database's secrets need (DESTINATION.main-key, .jwt-secret, .operational-secret; mode 0600). \
            Restore: stop Herald and start it with --database sqlite:DESTINATION, or move the files back under the \
            old names. Reads the same flags, variables and config file as herald serve. PostgreSQL: use \
            pg_basebackup or pg_dump.
            """
    )

    @Argument(help: "The new file to write (refused if it exists).")
    var destination: String

    @OptionGroup var options: DatabaseOptions

    func run() throws {
        let result = try Backup.run(try options.load().settings.herald, to: destination)
        let megabytes = Double(result.database.bytes) / 1_048_576
        print(
            "backed up \(result.database.messages) messages and \(result.database.attempts) attempts "
                + "(\(String(format: "%.1f", megabytes)) MB) to \(result.files.joined(separator: ", "))"
        )
        for key in result.keysToKeep {
            print("keep \(key) with this backup: no file beside the database holds it, so the server takes it from its settings")
        }
    }
}
