/// The field rules of the Svix API, shared by every place that accepts these values.
public enum FieldRules {
    /// `^[a-zA-Z0-9\-_.]+$`: uids, event ids, event-type names and channels.
    public static func isIdentifierLike(_ value: String) -> Bool {
        !value.isEmpty
            && value.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                    return true
                default:
                    return false
                }
            }
    }

    /// Checks a user-chosen id (`uid`, `eventId`): 1–256 identifier characters, never starting with the object's prefix.
    public static func checkUID(_ value: String, prefix: IDPrefix, loc: [String]) -> [ValidationIssue] {
        if value.utf8.count > 256 {
            return [ValidationIssue(loc: loc, msg: "must be at most 256 characters long")]
        }
        if !isIdentifierLike(value) {
            return [ValidationIssue(loc: loc, msg: "must match ^[a-zA-Z0-9\\-_.]+$")]
        }
        if value.hasPrefix(prefix.rawValue) {
            return [ValidationIssue(loc: loc, msg: "must not start with '\(prefix.rawValue)'")]
        }
        return []
    }

    /// Checks an event-type name: 1–256 identifier characters.
    public static func checkEventTypeName(_ value: String, loc: [String]) -> [ValidationIssue] {
        if value.utf8.count > 256 {
            return [ValidationIssue(loc: loc, msg: "must be at most 256 characters long")]
        }
        if !isIdentifierLike(value) {
            return [ValidationIssue(loc: loc, msg: "must match ^[a-zA-Z0-9\\-_.]+$")]
        }
        return []
    }

    /// Checks a list of channels: `count` items at most, each 1–128 identifier characters, no duplicates.
    public static func checkChannels(_ values: [String], maxCount: Int, loc: [String]) -> [ValidationIssue] {
        if values.isEmpty || values.count > maxCount {
            return [ValidationIssue(loc: loc, msg: "must have between 1 and \(maxCount) items")]
        }
        var issues: [ValidationIssue] = []
        for (index, channel) in values.enumerated() where channel.utf8.count > 128 || !isIdentifierLike(channel) {
            issues.append(ValidationIssue(loc: loc + [String(index)], msg: "must be 1-128 characters matching ^[a-zA-Z0-9\\-_.]+$"))
        }
        if Set(values).count != values.count {
            issues.append(ValidationIssue(loc: loc, msg: "must not contain duplicates"))
        }
        return issues
    }

    /// Checks a name or description that must not be empty.
    public static func checkNonEmpty(_ value: String, loc: [String], maxLength: Int = 256) -> [ValidationIssue] {
        if value.trimmingWhitespace().isEmpty {
            return [ValidationIssue(loc: loc, msg: "must not be empty")]
        }
        if value.utf8.count > maxLength {
            return [ValidationIssue(loc: loc, msg: "must be at most \(maxLength) characters long")]
        }
        return []
    }

    /// Checks a throttle rate: a positive 16-bit number.
    public static func checkThrottleRate(_ value: Int, loc: [String]) -> [ValidationIssue] {
        (1...Int(UInt16.max)).contains(value) ? [] : [ValidationIssue(loc: loc, msg: "must be between 1 and 65535")]
    }

    /// Checks free-form metadata: at most 64 keys, short keys and values.
    public static func checkMetadata(_ value: [String: String], loc: [String]) -> [ValidationIssue] {
        if value.count > 64 {
            return [ValidationIssue(loc: loc, msg: "must have at most 64 entries")]
        }
        for (key, entry) in value where key.isEmpty || key.utf8.count > 256 || entry.utf8.count > 4096 {
            return [ValidationIssue(loc: loc + [key], msg: "keys must be 1-256 bytes and values at most 4096 bytes")]
        }
        return []
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? endIndex
        return start < end ? self[start..<end] : ""
    }
}
