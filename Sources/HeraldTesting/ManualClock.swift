import HeraldCore
import Synchronization

/// A clock tests move by hand, so retry schedules are checked without sleeping.
public final class ManualClock: WallClock {
    private let current: Mutex<Timestamp>

    public init(_ start: Timestamp = .now()) {
        current = Mutex(start)
    }

    public func now() -> Timestamp {
        current.withLock { $0 }
    }

    public func advance(seconds: Double) {
        current.withLock { $0 = $0.adding(milliseconds: Int64(seconds * 1000)) }
    }
}
