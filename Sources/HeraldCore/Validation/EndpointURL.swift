import Foundation

/// Rules for an endpoint's destination URL, checked when it is written.
public enum EndpointURL {
    /// The longest URL the API accepts.
    public static let maxLength = 65_536

    /// Checks that `value` is an absolute http(s) URL with a host; `httpsOnly` refuses plain http.
    public static func check(_ value: String, httpsOnly: Bool, loc: [String]) -> [ValidationIssue] {
        guard value.utf8.count <= maxLength else {
            return [ValidationIssue(loc: loc, msg: "URL must be at most \(maxLength) characters long")]
        }
        guard let components = URLComponents(string: value), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            return [ValidationIssue(loc: loc, msg: "invalid or missing URL scheme or host", type: "value_error.url")]
        }
        guard scheme == "http" || scheme == "https" else {
            return [ValidationIssue(loc: loc, msg: "URL scheme must be http or https", type: "value_error.url.scheme")]
        }
        if httpsOnly, scheme != "https" {
            return [ValidationIssue(loc: loc, msg: "endpoint URL must use https", type: "value_error.url.scheme")]
        }
        return []
    }
}
