import Foundation

/// Rules for an endpoint's destination URL, checked when it is written.
public enum EndpointURL {
    /// The longest URL the API accepts.
    public static let maxLength = 65_536

    /// The URL of a polling endpoint: it receives no requests; its messages are read by cursor (`poller` routes).
    public static let poller = "poller://"

    /// Checks that `value` is `poller://` or an absolute http(s) URL with a host, no credentials and a valid port; `httpsOnly`
    /// refuses plain http, and a literal IP address must be one `policy` permits. (Host names are vetted when each
    /// request is sent, on the addresses they resolve to then.)
    public static func check(
        _ value: String,
        httpsOnly: Bool,
        policy: DestinationPolicy = DestinationPolicy(),
        loc: [String]
    ) -> [ValidationIssue] {
        func issue(_ msg: String, _ type: String = "value_error.url") -> [ValidationIssue] {
            [ValidationIssue(loc: loc, msg: msg, type: type)]
        }
        if value == poller { return [] }
        guard value.utf8.count <= maxLength else { return issue("URL must be at most \(maxLength) characters long") }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) else {
            return issue("URL must not contain spaces or control characters")
        }
        guard let components = URLComponents(string: value), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { return issue("invalid or missing URL scheme or host") }
        guard scheme == "http" || scheme == "https" else { return issue("URL scheme must be http or https", "value_error.url.scheme") }
        if httpsOnly, scheme != "https" { return issue("endpoint URL must use https", "value_error.url.scheme") }
        if components.user != nil || components.password != nil {
            return issue("credentials in the URL are not allowed; set an Authorization header on the endpoint instead")
        }
        if let port = components.port, !(1...65535).contains(port) { return issue("URL port must be between 1 and 65535") }
        if let literal = IPAddress(host), !policy.permits(literal) {
            return issue("requests to this address range are blocked (see HERALD_ALLOWED_SUBNETS)", "value_error.url.host")
        }
        return []
    }
}
