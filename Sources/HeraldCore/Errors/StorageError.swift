/// What a store throws for a failure its caller can act on. Stores know nothing of HTTP: the API maps these to
/// responses in one place (`ErrorResponses`).
public enum StorageError: Error, Sendable, Hashable {
    /// A value that must be unique is taken.
    case duplicate(Duplicate)
    /// The database cannot answer now (down, failing over, out of connections); trying again later can succeed.
    case unavailable
    /// A stored value cannot be read: sealed under another key or for another row, or damaged. Says which.
    case unreadable(String)

    public enum Duplicate: Sendable, Hashable {
        case applicationUID
        case endpointUID
        case eventTypeName
        case messageEventID
        case sourceUID
    }
}

/// A storage driver's error that may say the database cannot take the request now — its disk full, busy, an I/O
/// error — rather than that the request is at fault: the API answers it with a 503 like `StorageError.unavailable`,
/// never a 500 (a full disk answered 500 in the soak, issue #20). Backends conform their driver's error type.
public protocol TransientStorageFailure: Error {
    var isTransient: Bool { get }
}
