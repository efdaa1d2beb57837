/// A kind of event an organisation sends (`invoice.paid`), with its description and JSON schemas.
public struct EventType: Sendable, Hashable {
    public var orgID: String
    public var name: String
    public var description: String
    public var archived: Bool
    public var deprecated: Bool
    public var featureFlag: String?
    /// JSON object keyed by schema version (`"1"`), stored as the client sent it.
    public var schemas: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        orgID: String,
        name: String,
        description: String,
        archived: Bool,
        deprecated: Bool,
        featureFlag: String?,
        schemas: String?,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.orgID = orgID
        self.name = name
        self.description = description
        self.archived = archived
        self.deprecated = deprecated
        self.featureFlag = featureFlag
        self.schemas = schemas
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
