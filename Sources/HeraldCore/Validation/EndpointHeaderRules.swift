/// Which custom headers an endpoint may carry, and which of them are secrets to hide on read.
public enum EndpointHeaderRules {
    static let forbiddenNames: Set<String> = [
        "user-agent", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding",
        "upgrade", "age", "cache-control", "clear-site-data", "expires", "pragma", "warning", "content-length",
        "content-type", "content-encoding", "content-language", "content-location", "host", "connection",
    ]
    /// `webhook-` is Herald's own addition: it sends those headers itself.
    static let forbiddenPrefixes = [
        "x-amz-", "x-amzn-", "x-google", "x-goog-", "x-gfe", "x-azure-", "x-fd-", "x-svix-", "svix-", "webhook-",
    ]
    static let sensitiveNames: Set<String> = [
        "authorization", "proxy-authorization", "proxy-authenticate", "www-authenticate", "x-api-key", "x-auth-token",
    ]
    /// The most headers one endpoint may carry.
    public static let maxCount = 32
    /// The longest value one header may carry.
    public static let maxValueBytes = 4096

    /// Whether a header's value is hidden on read.
    public static func isSensitive(_ name: String) -> Bool {
        sensitiveNames.contains(name.lowercased())
    }

    /// Checks one header name and value.
    public static func check(name: String, value: String?, loc: [String]) -> [ValidationIssue] {
        let lowered = name.lowercased()
        let validName = !name.isEmpty && name.utf8.count <= 256 && name.utf8.allSatisfy { $0.isTokenCharacter }
        if !validName {
            return [ValidationIssue(loc: loc + [name], msg: "invalid header name")]
        }
        if forbiddenNames.contains(lowered) || forbiddenPrefixes.contains(where: lowered.hasPrefix) {
            return [ValidationIssue(loc: loc + [name], msg: "header name '\(name)' is not allowed")]
        }
        if let value {
            if value.utf8.count > maxValueBytes {
                return [ValidationIssue(loc: loc + [name], msg: "header value must be at most \(maxValueBytes) bytes")]
            }
            if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                return [ValidationIssue(loc: loc + [name], msg: "header value must not contain line breaks")]
            }
        }
        return []
    }

    /// Checks a whole set of headers.
    public static func check(_ headers: [String: String?], loc: [String]) -> [ValidationIssue] {
        if headers.count > maxCount {
            return [ValidationIssue(loc: loc, msg: "at most \(maxCount) headers")]
        }
        return headers.sorted { $0.key < $1.key }.flatMap { check(name: $0.key, value: $0.value, loc: loc) }
    }
}

extension UInt8 {
    /// RFC 9110 `tchar`.
    fileprivate var isTokenCharacter: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(self)
        }
    }
}
