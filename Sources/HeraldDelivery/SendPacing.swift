import HeraldCore

/// The throttle rates applied once more, in this process and in real time, to the moments requests actually leave.
/// Reserved send times (`ThrottlePlanner`) never overlap, but a busy process can start a request late, and the ones
/// after it would then follow too closely; here each request of a throttled endpoint or application also waits until
/// its own GCRA lets it go, so what a receiver gets from one instance keeps to the rate and burst even when sends run
/// late.
struct SendPacing {
    private let origin = ContinuousClock.now
    /// Theoretical arrival times, in microseconds since `origin`, per endpoint or application id.
    private var tat: [String: Int64] = [:]

    /// Nil when `task` may leave now (the send is counted), else how long to wait before asking again.
    mutating func admit(_ task: DeliveryTask) -> Duration? {
        let elapsed = ContinuousClock.now - origin
        let now = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        let limits = [(task.endpointID, task.throttleRate), (task.appID, task.appThrottleRate)].compactMap { key, rate in
            rate.map { (key, $0) }
        }
        var earliest = now
        for (key, rate) in limits { earliest = max(earliest, (tat[key] ?? 0) - rate.toleranceMicros) }
        if earliest > now { return .microseconds(earliest - now) }
        for (key, rate) in limits { tat[key] = max(tat[key] ?? 0, now) + rate.intervalMicros }
        if tat.count > 10_000 { tat = tat.filter { $0.value > now } }
        return nil
    }
}
