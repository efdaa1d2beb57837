import Foundation
import Synchronization

/// JSON text columns (metadata, filters, headers, old secrets), written the same way by every backend.
public enum JSONColumn {
    public static func encode<T: Encodable>(_ value: T) -> String {
        // Encoding these plain value types cannot fail.
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    public static func encode<T: Encodable>(_ value: T?) -> String? {
        value.map { encode($0) }
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T? {
        guard let text else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}

/// The endpoint columns that hold secrets — the signing key, the rotated-out keys, the custom headers — sealed with
/// the main key on write and opened on read, by every backend.
public struct SealedColumns: Sendable {
    public var secret: EndpointSecret
    public var previousSecrets: [ExpiringSecret]
    public var headers: [String: String]

    public init(secret: EndpointSecret, previousSecrets: [ExpiringSecret], headers: [String: String]) {
        self.secret = secret
        self.previousSecrets = previousSecrets
        self.headers = headers
    }

    /// Opens the stored `secret`, `previous_secrets` and `headers` column values of endpoint `endpointID` of
    /// application `appID`, or finds them opened before: every delivery reads them, and each open is a decryption and a
    /// JSON decode.
    public init(
        secret sealedSecret: String,
        previousSecrets sealedPrevious: String,
        headers sealedHeaders: String,
        appID: String,
        endpointID: String,
        sealer: SecretSealer
    ) throws {
        self = try sealer.opened.value(for: [sealedSecret, sealedPrevious, sealedHeaders, appID, endpointID]) {
            try SealedColumns(
                opening: sealedSecret,
                sealedPrevious,
                sealedHeaders,
                contexts: Self.contexts(appID: appID, endpointID: endpointID),
                sealer: sealer
            )
        }
    }

    private init(opening sealedSecret: String, _ sealedPrevious: String, _ sealedHeaders: String, contexts: [String], sealer: SecretSealer) throws {
        guard let secret = EndpointSecret(parsing: try sealer.open(sealedSecret, boundTo: contexts[0])) else {
            throw StorageError.unreadable("a stored endpoint secret does not parse")
        }
        self.secret = secret
        previousSecrets = try JSONColumn.decode([ExpiringSecret].self, try sealer.open(sealedPrevious, boundTo: contexts[1])) ?? []
        headers = try JSONColumn.decode([String: String].self, try sealer.open(sealedHeaders, boundTo: contexts[2])) ?? [:]
    }

    /// Sealed values for the `secret`, `previous_secrets` and `headers` columns of endpoint `endpointID` of application
    /// `appID`, in that order, each bound to its row and column.
    public func sealed(with sealer: SecretSealer, appID: String, endpointID: String) throws -> [String] {
        let contexts = Self.contexts(appID: appID, endpointID: endpointID)
        return [
            try sealer.seal(secret.description, boundTo: contexts[0]),
            try sealer.seal(JSONColumn.encode(previousSecrets), boundTo: contexts[1]),
            try sealer.seal(JSONColumn.encode(headers), boundTo: contexts[2]),
        ]
    }

    /// Column values sealed unbound by Herald before 0.2, sealed again bound to their row; nil when already bound.
    /// Stores run this over every endpoint once, in the migration that upgrades from 0.1 (so a value sealed unbound and
    /// planted later is never laundered into a bound one).
    public static func resealedBound(_ columns: [String], appID: String, endpointID: String, sealer: SecretSealer) throws -> [String]? {
        guard columns.contains(where: SecretSealer.isUnbound) else { return nil }
        let contexts = contexts(appID: appID, endpointID: endpointID)
        return try zip(columns, contexts).map { value, context in
            SecretSealer.isUnbound(value) ? try sealer.resealedBound(value, boundTo: context) : value
        }
    }

    /// What each sealed column is bound to: its application, its endpoint and its column (an endpoint row moved to
    /// another application does not open there either).
    static func contexts(appID: String, endpointID: String) -> [String] {
        let row = appID + "/" + endpointID
        return ["endpoints.secret:" + row, "endpoints.previous_secrets:" + row, "endpoints.headers:" + row]
    }
}

/// Values decoded from stored column text, kept so hot paths do not decode (or decrypt) the same text again: an
/// endpoint's filters at every fan-out, its sealed secrets at every delivery. The text changes whenever the value does
/// (sealing uses a fresh nonce), so an entry never goes stale; the cache is emptied when it reaches `capacity`.
public final class ColumnCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    private let capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    public func value(for key: Key, decode: () throws -> Value) throws -> Value {
        if let value = entries.withLock({ $0[key] }) { return value }
        let value = try decode()
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
        return value
    }
}
