/// What one round of partition upkeep did (see `MessageStore.maintainPartitions`).
public struct PartitionUpkeep: Sendable, Hashable {
    /// Time partitions dropped whole, each with its messages, attempts, deliveries and feed entries.
    public var dropped: Int
    /// Messages accepted before this time are left to row-by-row deletion (`pruneMessages`): those the partitions
    /// do not cover, or whose partition is kept by a delivery still open. Later messages wait for their partition.
    /// Nil without a cutoff.
    public var rowsBefore: Timestamp?
    /// What failed (and is retried at the next round).
    public var failures: [String]

    public init(dropped: Int = 0, rowsBefore: Timestamp?, failures: [String] = []) {
        self.dropped = dropped
        self.rowsBefore = rowsBefore
        self.failures = failures
    }
}

/// How wide a time partition is for a retention period: about a twelfth of it, so that data outlives the period by
/// at most that much and about sixteen partitions exist at any time (queries that span them all plan and lock each),
/// between a minute and a week. Without retention, a week: nothing is dropped, and partitions add up at 52 a year.
public enum PartitionWidth {
    public static let minimumSeconds: Int64 = 60
    public static let maximumSeconds: Int64 = 7 * 86_400

    public static func seconds(for retention: RetentionPeriod?) -> Int64 {
        guard let retention else { return maximumSeconds }
        return clamped(retention.seconds / 12)
    }

    /// A width within the bounds, whatever a caller asked for.
    public static func clamped(_ seconds: Int64) -> Int64 {
        min(max(seconds, minimumSeconds), maximumSeconds)
    }
}
