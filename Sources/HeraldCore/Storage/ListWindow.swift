/// The time window of a message or attempt listing, turned into id bounds (ids are time-sortable).
///
/// As in Svix: `before`/`after` bound the result; without `after`, a listing looks back at most 90 days from now (or
/// from the iterator's time), a `prevIterator` looks forward at most 90 days, and ids over an hour in the future are
/// never listed.
public enum ListWindow {
    public static let lookBackMs: Int64 = 90 * 24 * 3600 * 1000
    public static let futureSlackMs: Int64 = 3600 * 1000

    public static func idRange(
        prefix: IDPrefix,
        before: Timestamp?,
        after: Timestamp?,
        page: PageRequest,
        now: Timestamp
    ) -> IDRange {
        let iteratorTime = page.iterator.flatMap { iterator -> Int64? in
            guard iterator.hasPrefix(prefix.rawValue) else { return nil }
            return KSUID.timestampMs(of: iterator.dropFirst(prefix.rawValue.count))
        }
        var upper = now.milliseconds + futureSlackMs
        if let before { upper = min(upper, before.milliseconds) }
        let lower = after?.milliseconds ?? ((iteratorTime ?? now.milliseconds) - lookBackMs)
        if page.backwards, before == nil, let iteratorTime {
            upper = min(upper, iteratorTime + lookBackMs)
        }
        let lowerID = prefix.startID(timestampMs: max(lower, KSUID.epoch * 1000))
        let upperID = upper <= KSUID.epoch * 1000 ? lowerID : prefix.startID(timestampMs: upper)
        return IDRange(lower: lowerID, upper: upperID)
    }
}
