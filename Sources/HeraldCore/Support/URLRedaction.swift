import Foundation

/// URLs as Herald prints them (`herald config print`, start-up lines): whatever may be a credential — user info,
/// query, fragment, and with `keepPath` false the path (a webhook URL's path is often its token) — masked.
public enum URLRedaction {
    public static func shown(_ text: String, keepPath: Bool) -> String {
        guard let components = URLComponents(string: text), let scheme = components.scheme, let host = components.host else {
            return "(set; not shown)"
        }
        var shown = "\(scheme)://" + (components.user != nil ? "********@" : "") + host
        if let port = components.port { shown += ":\(port)" }
        if !components.path.isEmpty { shown += keepPath ? components.path : "/********" }
        if components.query != nil { shown += "?********" }
        if components.fragment != nil { shown += "#********" }
        return shown
    }
}
