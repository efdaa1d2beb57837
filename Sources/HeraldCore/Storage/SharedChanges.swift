import Synchronization

/// A change to something instances keep in short-lived caches (applications, sources, verified tokens).
public enum SharedChange: Sendable, Equatable {
    /// An application was changed or deleted (its settings, its allowed networks).
    case applications
    /// A source was created, changed, rotated or deleted.
    case sources
    /// A token was logged out.
    case tokenRevoked(hash: String)
    /// News may have been missed (the instance was not following them): every cache starts over.
    case unknown

    /// The text of a notification carrying this change between instances.
    public var notificationPayload: String {
        switch self {
        case .applications: Self.prefix + "applications"
        case .sources: Self.prefix + "sources"
        case .tokenRevoked(let hash): Self.prefix + "revoked:" + hash
        case .unknown: Self.prefix + "unknown"
        }
    }

    /// Notifications starting with this carry a change (others are news of work).
    public static let prefix = "change:"

    /// The change a notification carries; one this version does not know (a newer instance's) counts as `unknown`, so
    /// every cache starts over rather than keep what it may have changed.
    public init?(notificationPayload payload: String) {
        guard payload.hasPrefix(Self.prefix) else { return nil }
        let body = payload.dropFirst(Self.prefix.count)
        switch body {
        case "applications": self = .applications
        case "sources": self = .sources
        case _ where body.hasPrefix("revoked:") && Self.isRevocationHash(body.dropFirst("revoked:".count)):
            self = .tokenRevoked(hash: String(body.dropFirst("revoked:".count)))
        default: self = .unknown
        }
    }
}

extension SharedChange {
    /// A revocation hash as Herald writes them (SHA-256, lowercase hex): anything else in a notification is not one.
    static func isRevocationHash(_ text: Substring) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// News of changes made by any instance sharing the store (`SharedChange`), so that each instance may cache what every
/// request reads — applications, verified tokens — and drop it when told. A cache of shared values may answer only
/// while `isFollowing`: news that arrive late cost staleness of a few milliseconds, news that are missed while not
/// following are made up for by `unknown` when following starts again; what a cache keeps still expires after its own
/// time to live, the bound if news are lost some other way.
public final class SharedChangeNews: Sendable {
    private let observers = Mutex<[@Sendable (SharedChange) -> Void]>([])
    /// Read by every API request (an atomic, not a lock).
    private let following = Atomic(false)

    public init() {}

    /// Whether changes made on any instance reach this one now.
    public var isFollowing: Bool { following.load(ordering: .acquiring) }

    /// Calls `observer` with every change from now on (on the thread that learns of it: keep it short).
    public func observe(_ observer: @escaping @Sendable (SharedChange) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Passes a change on to every observer.
    public func deliver(_ change: SharedChange) {
        for observer in observers.withLock({ $0 }) { observer(change) }
    }

    /// Following started: what was missed before is unknown, so caches start over — before they may answer again.
    public func startedFollowing() {
        deliver(.unknown)
        following.store(true, ordering: .releasing)
    }

    /// Following stopped: caches of shared values must not answer until it starts again.
    public func stoppedFollowing() {
        following.store(false, ordering: .releasing)
    }
}
