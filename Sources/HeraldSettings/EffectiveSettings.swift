import Foundation

extension LoadedSettings {
    /// The effective settings as a YAML config file, secrets masked, each line saying where its value came from;
    /// what `herald config print` shows. With the masks replaced it is a valid config file.
    public func effectiveYAML() -> String {
        var lines = ["# herald serve: effective settings (flags > environment > config file > defaults); secrets masked"]
        if let configFile { lines.append("# config file: \(configFile)") }
        for setting in Setting.catalogue {
            let source = sources[setting.key] ?? .defaultValue
            let value: String
            switch setting.effective(settings) {
            case nil: value = "~"
            case _? where setting.isSecret: value = "\"********\""
            case .text(let text)?: value = Self.quoted(text)
            case .literal(let literal)?: value = literal
            case .list(let items)?: value = "[" + items.map(Self.quoted).joined(separator: ", ") + "]"
            case .literalList(let items)?: value = "[" + items.joined(separator: ", ") + "]"
            }
            var comment = source.description
            if source == .defaultValue, let note = Self.unsetNotes[setting.key] { comment += ": " + note }
            lines.append("\(setting.key): \(value)  # \(comment)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What an unset optional setting means.
    private static let unsetNotes = [
        "main_key": "a generated key kept in <database>.main-key (SQLite only)",
        "jwt_secret": "a generated secret kept in <database>.jwt-secret (SQLite only)",
        "public_url": "http://<host>:<port>",
        "metrics_port": "/metrics on the API port only, with an org token",
        "retention": "messages and attempts are kept for ever",
        "otel_endpoint": "no traces exported",
        "operational_webhook_url": "no operational webhooks",
        "operational_webhook_secret": "a generated secret kept in <database>.operational-secret",
    ]

    /// A YAML double-quoted scalar (JSON's string syntax is one).
    private static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        guard let data = try? encoder.encode(text), let encoded = String(data: data, encoding: .utf8) else {
            return "\"\""
        }
        return encoded
    }
}
