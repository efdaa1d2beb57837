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

/// How wide a time partition is for a retention period: about a twenty-fourth of it, so that data outlives the period
/// by at most that much, between a minute (fewer, larger partitions for short periods) and a day (at most a few
/// hundred partitions for any period).
public enum PartitionWidth {
    public static let minimumSeconds: Int64 = 60
    public static let maximumSeconds: Int64 = 86_400

    public static func seconds(for retention: RetentionPeriod) -> Int64 {
        min(max(retention.seconds / 24, minimumSeconds), maximumSeconds)
    }
}
