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

    /// The files SQLite keeps beside a database and matches to it by name alone: a stale one beside a new copy would
    /// be replayed into it.
    public static let companionSuffixes = ["-wal", "-shm", "-journal"]

    /// Copies the database at `source` into a new file at `destination` (refused if it, or a companion file of that
    /// name, exists). SQLite's online backup copies every page in one step, inside one read transaction: one
    /// consistent snapshot, and in WAL mode a reader blocks no writer, so ingest and delivery go on. The copy is made
    /// in a private (`0700`) directory beside `destination`, checked (`quick_check`), fsynced and only then linked
    /// into place, so a crash never leaves a partial file under the name and nothing can be planted in its way.
    public static func copy(from source: String, to destination: String) throws -> Report {
        var status = stat()
        guard lstat(source, &status) == 0 else { throw ConfigurationError("there is no database at \(source)") }
        for path in [destination] + companionSuffixes.map({ destination + $0 }) {
            guard lstat(path, &status) != 0, errno == ENOENT else {
                throw ConfigurationError("\(path) exists; a backup is written to new paths only")
            }
        }
        var template = Array((destination + ".partial-XXXXXX").utf8CString)
        let workspace = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, let created = mkdtemp(base) else { return nil }
            return String(validatingCString: created)
        }
        guard let workspace else { throw ConfigurationError("cannot make a private directory beside \(destination): \(errorText())") }
        let temporary = workspace + "/copy.db"
        defer {
            for suffix in [""] + companionSuffixes { unlink(temporary + suffix) }
            rmdir(workspace)
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
        // The copy was made private (umask aside) before anything else can see it.
        guard chmod(temporary, 0o600) == 0 else { throw ConfigurationError("cannot make \(temporary) private: \(errorText())") }

        try syncFile(temporary)
        guard link(temporary, destination) == 0 else {
            throw ConfigurationError("cannot create \(destination): \(errorText())")
        }
        try syncFile(URL(fileURLWithPath: destination).deletingLastPathComponent().path)
        guard lstat(destination, &status) == 0 else { throw ConfigurationError("\(destination) vanished after the copy") }
        return Report(bytes: Int64(status.st_size), messages: counts.messages, attempts: counts.attempts)
    }

    /// fsync of a file or directory, so what was reported is on disk.
    public static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ConfigurationError("cannot open \(path) to sync it: \(errorText())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ConfigurationError("cannot sync \(path): \(errorText())") }
    }

    private static func errorText() -> String {
        let code = errno
        return strerror(code).flatMap { String(validatingCString: $0) } ?? "error \(code)"
    }
}
