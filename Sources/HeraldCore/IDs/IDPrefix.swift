/// The prefixes of Herald's server-generated ids (`app_…`, `ep_…`), as in the Svix API.
public enum IDPrefix: String, Sendable, CaseIterable {
    case organization = "org_"
    case application = "app_"
    case endpoint = "ep_"
    case message = "msg_"
    case attempt = "atmpt_"
    case task = "qtask_"
    case source = "src_"

    /// A new time-sortable id with this prefix.
    public func makeID(timestampMs: Int64) -> String {
        rawValue + KSUID.make(timestampMs: timestampMs)
    }

    /// The smallest id with this prefix made at or after `timestampMs`: turns a time bound into an id bound.
    public func startID(timestampMs: Int64) -> String {
        rawValue + KSUID.start(timestampMs: timestampMs)
    }

    /// Whether `value` is an id of this kind (prefix plus a valid KSUID), as opposed to a user-chosen uid.
    public func isID(_ value: some StringProtocol) -> Bool {
        guard value.hasPrefix(rawValue) else { return false }
        return KSUID.timestampMs(of: Substring(value.dropFirst(rawValue.count))) != nil
    }
}
