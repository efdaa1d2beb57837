import Foundation
import GRDB
import HeraldCore

/// A consistent copy of a SQLite database that a server may be writing to, made without stopping it.
public enum SQLiteBackup {
    /// What a copy holds.
    public struct Report: Sendable, Equatable {
        public let bytes: Int64
        public let messages: Int
        public let attempts: Int
    }

    /// Copies the database at `source` into a new file at `destination` (refused if anything is there). SQLite's
    /// online backup copies every page in one step, inside one read transaction: one consistent snapshot, and in WAL
    /// mode a reader blocks no writer, so ingest and delivery go on. The copy is written to a private (`0600`)
    /// temporary file beside `destination`, checked (`quick_check`), fsynced and only then linked into place, so a
    /// crash never leaves a partial file under the name.
    public static func copy(from source: String, to destination: String) throws -> Report {
        var status = stat()
        guard lstat(source, &status) == 0 else { throw ConfigurationError("there is no database at \(source)") }
        guard lstat(destination, &status) != 0, errno == ENOENT else {
            throw ConfigurationError("\(destination) exists; a backup is written to a new path only")
        }
        let temporary = destination + ".partial-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ConfigurationError("cannot create \(temporary): \(errorText())") }
        close(descriptor)
        defer {
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(temporary + suffix) }
        }

        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(10)
        let from = try DatabaseQueue(path: source, configuration: readOnly)
        let to = try DatabaseQueue(path: temporary)
        try from.backup(to: to)
        let counts = try to.read { db in
            let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
            guard check == "ok" else { throw ConfigurationError("the copy failed its check (\(check)); the source may be damaged") }
            return (
                messages: try Int.fetchOne(db, sql: "SELECT count(*) FROM messages") ?? 0,
                attempts: try Int.fetchOne(db, sql: "SELECT count(*) FROM attempts") ?? 0
            )
        }
        try to.close()
        try from.close()

        try syncFile(temporary)
        guard link(temporary, destination) == 0 else {
            throw ConfigurationError("cannot create \(destination): \(errorText())")
        }
        let directory = URL(fileURLWithPath: destination).deletingLastPathComponent().path
        try syncFile(directory)
        guard lstat(destination, &status) == 0 else { throw ConfigurationError("\(destination) vanished after the copy") }
        return Report(bytes: Int64(status.st_size), messages: counts.messages, attempts: counts.attempts)
    }

    private static func errorText() -> String {
        let code = errno
        return strerror(code).flatMap { String(validatingCString: $0) } ?? "error \(code)"
    }

    /// fsync of a file or directory, so a copy that was reported is on disk.
    private static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ConfigurationError("cannot open \(path) to sync it: \(errorText())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ConfigurationError("cannot sync \(path): \(errorText())") }
    }
}
