import Foundation
import HeraldCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A secret kept in a `0600` file beside the database, created on first use, so that `herald serve` and
/// `herald token create` agree with zero configuration.
public enum SecretFile {
    /// The secret in `path`, or a new one from `make` written there (owner read/write only). By default a new
    /// secret is 32 random bytes as 64 hex characters.
    /// An existing file must be a regular file (not a symbolic link) that only its owner can read or write.
    public static func loadOrCreate(at path: String, make: () -> String = randomHex) throws -> String {
        try loadOrCreateReporting(at: path, make: make).secret
    }

    /// Like `loadOrCreate`, also saying whether this call created the file (start-up lines say so).
    public static func loadOrCreateReporting(at path: String, make: () -> String = randomHex) throws -> (secret: String, created: Bool) {
        if let existing = try readExisting(path) {
            let trimmed = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw ConfigurationError("the secret file \(path) is empty; delete it to have a new one made") }
            return (trimmed, false)
        }
        let secret = make()
        guard try createNew(at: path, text: secret) else { return try loadOrCreateReporting(at: path, make: make) }
        return (secret, true)
    }

    /// Writes `text` (and a newline) to a new `0600` file at `path`, fsynced; false, touching nothing, if a file is
    /// there already.
    public static func createNew(at path: String, text: String) throws -> Bool {
        // Written to a private temporary file, then linked into place: link() fails if another process won the
        // race, and nobody ever reads a half-written secret. O_EXCL|O_NOFOLLOW: never write through a planted link.
        // A random name: a crash between creating and removing it must not block the next start (pids repeat).
        let temporary = path + ".tmp." + randomHex().prefix(16)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ConfigurationError("cannot create the secret file \(path): \(describeErrno())")
        }
        defer { unlink(temporary) }
        let bytes = Array((text + "\n").utf8)
        let written = write(descriptor, bytes, bytes.count) == bytes.count && fsync(descriptor) == 0
        close(descriptor)
        guard written else {
            throw ConfigurationError("cannot write the secret file \(path): \(describeErrno())")
        }
        if link(temporary, path) != 0 {
            if errno == EEXIST { return false }
            throw ConfigurationError("cannot create the secret file \(path): \(describeErrno())")
        }
        return true
    }

    /// The file's text, or nil when there is none; refuses links, non-regular files and modes wider than `0600`.
    public static func readExisting(_ path: String) throws -> String? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            if errno == ELOOP { throw ConfigurationError("the secret file \(path) is a symbolic link; Herald reads only a regular file") }
            throw ConfigurationError("cannot read the secret file \(path): \(describeErrno())")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ConfigurationError("cannot read the secret file \(path): \(describeErrno())") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ConfigurationError("the secret file \(path) is not a regular file")
        }
        guard status.st_mode & 0o077 == 0 else {
            let mode = String(status.st_mode & 0o777, radix: 8)
            throw ConfigurationError(
                "the secret file \(path) has mode 0\(mode): others can read it; run chmod 600 \(path) (or delete it to have a new one made)"
            )
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw ConfigurationError("cannot read the secret file \(path): \(describeErrno())") }
            guard count > 0, bytes.count < 1 << 16 else { break }
            bytes += chunk.prefix(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The text of `errno`, without the deprecated `String(cString:)`.
    public static func describeErrno() -> String {
        guard let text = strerror(errno) else { return "error \(errno)" }
        return String(validatingCString: text) ?? "error \(errno)"
    }

    public static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
    }
}
