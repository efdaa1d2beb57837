import Crypto
import Foundation

/// Encrypts secrets at rest (endpoint keys, custom headers) with ChaCha20-Poly1305 under the main key, so a copy of
/// the database file alone reveals none of them.
public struct SecretSealer: Sendable {
    private let key: SymmetricKey
    /// Values sealed without associated data, by Herald before 0.2.
    static let unboundPrefix = "sealed1:"
    /// Values sealed bound to their row and column.
    static let boundPrefix = "sealed2:"
    /// Endpoint columns this sealer opened, by their sealed text (shared by its copies).
    let opened = ColumnCache<[String], SealedColumns>()

    /// A sealer over a 32-byte key.
    public init(key: [UInt8]) throws {
        guard key.count == 32 else { throw ConfigurationError("the main key must be 32 bytes") }
        self.key = SymmetricKey(data: key)
    }

    /// A sealer over a key given as base64 (or 64 hex digits), as `HERALD_MAIN_KEY` and the key file hold it.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let bytes = Data(base64Encoded: trimmed), bytes.count == 32 {
            try self.init(key: Array(bytes))
        } else if trimmed.utf8.count == 64, let bytes = Self.hexBytes(trimmed) {
            try self.init(key: bytes)
        } else {
            throw ConfigurationError("the main key must be 32 bytes, written as base64 or 64 hex digits")
        }
    }

    /// A new random key as base64.
    public static func generateKeyText() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// Seals text bound to `context` (authenticated, not stored: the row and column it belongs to), so a sealed value
    /// copied onto another row does not open there.
    public func seal(_ plaintext: String, boundTo context: String) throws -> String {
        Self.boundPrefix + Data(try seal(bytes: Array(plaintext.utf8), boundTo: context)).base64EncodedString()
    }

    /// Opens what `seal(_:boundTo:)` sealed under the same context. Values sealed unbound (before Herald 0.2) are
    /// refused here: stores reseal them bound when they open (`resealedBound`).
    public func open(_ sealed: String, boundTo context: String) throws -> String {
        guard sealed.hasPrefix(Self.boundPrefix), let combined = Data(base64Encoded: String(sealed.dropFirst(Self.boundPrefix.count))) else {
            throw StorageError.unreadable("a stored secret is not sealed for its row")
        }
        return String(decoding: try open(bytes: Array(combined), boundTo: context), as: UTF8.self)
    }

    /// Whether a stored value was sealed unbound, by Herald before 0.2.
    public static func isUnbound(_ sealed: String) -> Bool {
        sealed.hasPrefix(unboundPrefix)
    }

    /// An unbound value (see `isUnbound`) sealed again bound to `context`.
    public func resealedBound(_ sealed: String, boundTo context: String) throws -> String {
        guard let combined = Data(base64Encoded: String(sealed.dropFirst(Self.unboundPrefix.count))) else {
            throw StorageError.unreadable("a stored secret is not sealed")
        }
        let plaintext = try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: combined), using: key)
        return try seal(String(decoding: plaintext, as: UTF8.self), boundTo: context)
    }

    /// Seals bytes bound to `context` (authenticated, not stored): they open only under the same context, so a sealed
    /// value copied to another row does not open there.
    public func seal(bytes: [UInt8], boundTo context: String) throws -> [UInt8] {
        Array(try ChaChaPoly.seal(bytes, using: key, authenticating: Array(context.utf8)).combined)
    }

    /// Opens what `seal(bytes:boundTo:)` sealed under the same context; throws for anything else.
    public func open(bytes: [UInt8], boundTo context: String) throws -> [UInt8] {
        Array(try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: bytes), using: key, authenticating: Array(context.utf8)))
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
        }
        return bytes
    }
}
