/// Who a verified token speaks for.
public enum Principal: Sendable, Hashable {
    /// An org token: the whole organisation.
    case organization(String)
    /// An app token (app portal): one application of an organisation, with the feature flags it may see.
    case application(orgID: String, appID: String, featureFlags: Set<String>)

    public var orgID: String {
        switch self {
        case .organization(let orgID): return orgID
        case .application(let orgID, _, _): return orgID
        }
    }

    /// The one application an app token may reach; nil for org tokens.
    public var appID: String? {
        if case .application(_, let appID, _) = self { return appID }
        return nil
    }

    /// Whether this caller may see an event type behind `featureFlag`.
    public func canSee(featureFlag: String?) -> Bool {
        guard let featureFlag, case .application(_, _, let flags) = self else { return true }
        return flags.contains(featureFlag)
    }
}
