/// One of an organisation's customers: the unit that owns endpoints and messages.
public struct Application: Sendable, Hashable {
    public var id: String
    public var orgID: String
    public var uid: String?
    public var name: String
    public var throttleRate: Int?
    public var metadata: [String: String]
    /// Private networks this application's endpoints may be reached in (a Herald extension, inside the operator's
    /// `HERALD_GRANTABLE_SUBNETS`): for inbound sources forwarding to internal services.
    public var allowedSubnets: [IPNetwork] = []
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: String,
        orgID: String,
        uid: String?,
        name: String,
        throttleRate: Int?,
        metadata: [String: String],
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.orgID = orgID
        self.uid = uid
        self.name = name
        self.throttleRate = throttleRate
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
