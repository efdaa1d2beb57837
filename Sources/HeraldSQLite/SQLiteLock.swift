import Foundation
import HeraldCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one `herald serve` of a SQLite database: an exclusive lock on `<database>.lock`, held for the life of the
/// process (the system lets go of it when the process ends, however it ends), holding the pid of its owner. Two
/// servers on one file would both deliver every delivery; the second is refused instead, naming the first.
public final class SQLiteLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Takes the lock of the database at `databasePath`, or throws saying which process holds it.
    public static func acquire(databasePath: String) throws -> SQLiteLock {
        let path = databasePath + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ConfigurationError("cannot create the lock file \(path): \(String(validatingCString: strerror(errno)) ?? "error \(errno)")")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = readHolder(descriptor)
            close(descriptor)
            throw ConfigurationError(
                "another herald serve (pid \(holder ?? "unknown")) already uses the database \(databasePath); only one may run on a SQLite file — stop it first, or use PostgreSQL for several instances"
            )
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        return SQLiteLock(descriptor: descriptor)
    }

    private static func readHolder(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
