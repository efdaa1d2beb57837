import Foundation

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
    public static func loadOrCreate(at path: String, make: () -> String = randomHex) throws -> String {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let trimmed = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw ConfigurationError("the secret file \(path) is empty; delete it to have a new one made") }
            return trimmed
        }
        let secret = make()
        // Written to a private temporary file, then linked into place: link() fails if another process won the
        // race, and nobody ever reads a half-written secret.
        let temporary = path + ".tmp.\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else {
            throw ConfigurationError("cannot create the secret file \(path): \(String(cString: strerror(errno)))")
        }
        defer { unlink(temporary) }
        let bytes = Array((secret + "\n").utf8)
        let written = write(descriptor, bytes, bytes.count) == bytes.count && fsync(descriptor) == 0
        close(descriptor)
        guard written else {
            throw ConfigurationError("cannot write the secret file \(path): \(String(cString: strerror(errno)))")
        }
        if link(temporary, path) != 0 {
            if errno == EEXIST { return try loadOrCreate(at: path, make: make) }
            throw ConfigurationError("cannot create the secret file \(path): \(String(cString: strerror(errno)))")
        }
        return secret
    }

    public static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
    }
}
