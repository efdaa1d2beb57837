/// How a delivery's lease is stored. An instance sending a delivery holds it: `lease_owner` names the instance and
/// `lease_until` says when the lease runs out. A delivery can be claimed when it is due (`next_attempt_at`) and not
/// leased — never, or no longer, so a dead holder's deliveries fall due again when their leases run out.
///
/// The lease lives apart from the due time so that a claim writes only columns no index holds: PostgreSQL then keeps
/// the claimed row's new version on its page without writing any index (a HOT update), where changing the due time
/// wrote one entry into every index of `deliveries`. The cost is that leased rows stay on the due index, so claims
/// step over the ones in flight.
public enum Lease {
    /// A condition: the row is not leased at `now` (an SQL expression or parameter), never or no longer.
    public static func free(at now: String) -> String {
        "(lease_until IS NULL OR lease_until <= \(now))"
    }

    /// A condition: the row is leased at `now`.
    public static func held(at now: String) -> String {
        "lease_until > \(now)"
    }

    /// In an UPDATE's SET list: gives the lease back.
    public static let cleared = "lease_owner = NULL, lease_until = NULL"
}
