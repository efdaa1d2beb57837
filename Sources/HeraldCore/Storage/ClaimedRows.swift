import Logging

/// Claimed rows turned into tasks one by one: a row that cannot be read (an endpoint secret that does not open for its
/// row, say) is left out and reported, and stays leased until its lease runs out, so it never stops the other
/// tenants' deliveries that share its claim.
public enum ClaimedRows {
    public static func tasks<Row>(_ rows: [Row], logger: Logger, _ task: (Row) throws -> DeliveryTask) -> [DeliveryTask] {
        rows.compactMap { row in
            do {
                return try task(row)
            } catch {
                logger.error(
                    "a claimed delivery cannot be read; it is skipped until its lease runs out",
                    metadata: ["herald.error": "\(String(reflecting: error))"]
                )
                return nil
            }
        }
    }
}
