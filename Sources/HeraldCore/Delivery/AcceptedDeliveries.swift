/// The dispatcher of this process, as the store sees it when it leases deliveries to it as their messages are stored.
///
/// A delivery leased in the transaction that stores its message reaches its receiver without waiting for a claim:
/// on PostgreSQL a claim is a round trip planned every time, and a message committed while one runs waited for it and
/// for the next. The lease is the claim's own (`owner`, until `leaseTerms().until`), so at-least-once holds as for
/// claimed deliveries: if this process dies, the lease runs out and any instance claims the delivery.
///
/// The store asks for a slot per delivery before it writes (`reserve`), so that what it leases starts at once and the
/// dispatcher's caps hold; after the commit it hands over what it leased and gives back the rest (`takeOver`),
/// exactly once per reservation, including when the write failed.
public protocol AcceptedDeliveryTaker: AnyObject, Sendable {
    /// The lease owner the dispatcher claims as.
    var owner: String { get }
    /// The dispatcher's time now (what a claim made now would compare due times and gates with), and when a lease
    /// taken now runs out.
    func leaseTerms() -> (now: Timestamp, until: Timestamp)
    /// Reserves a sending slot for a delivery of `appID` to `endpointID` about to be stored; false when the endpoint,
    /// its application or the dispatcher has none free now (the delivery then waits for a claim, as before).
    func reserve(endpointID: String, appID: String) -> Bool
    /// Takes over the deliveries leased to `owner` until `leasedUntil` as their messages were stored (their slots
    /// reserved) and gives back the reservations of those that were not: `unused` lists each unused reservation's
    /// endpoint and application.
    func takeOver(_ tasks: [DeliveryTask], leasedUntil: Timestamp, unused: [(endpointID: String, appID: String)])
}
