import HeraldCore
import HeraldSetup

/// One setting of `herald serve`: its config-file key, environment variable and flag, and how a value in text sets it.
/// Every source gives text (a file's numbers and lists are turned into it first), so a value means the same wherever
/// it is written.
public struct Setting: Sendable {
    /// The shape a config file must give the value in.
    public enum Kind: Sendable {
        case text, integer, number, boolean
        /// A YAML/JSON list of strings (or one comma-separated string, as in the environment).
        case list
    }

    /// The config-file key, e.g. `max_body_bytes`.
    public let key: String
    public let environmentName: String
    /// The flag that sets it, e.g. `--port`; most settings have none.
    public let flag: String?
    public let kind: Kind
    /// Masked by `herald config print` and never echoed in a refusal.
    public let isSecret: Bool
    /// Whether a refusal may quote the value: not for secrets, nor for URLs that may carry a password or a token.
    public let quotesValue: Bool
    /// Whether leaving it empty (`~`, `""`, `[]` in the file) is allowed; a required setting must be given a value or
    /// left out.
    public let isOptional: Bool
    /// What is allowed, as a refusal says it: "must be <allowed>".
    public let allowed: String
    /// Sets the value; throws `Setting.Refused` (or a `ConfigurationError` with its own words) for a bad one.
    let apply: @Sendable (inout ServeSettings, String) throws -> Void
    /// The effective value as `herald config print` shows it (nil: unset).
    let effective: @Sendable (ServeSettings) -> EffectiveValue?

    init(
        _ key: String,
        environment: String? = nil,
        flag: String? = nil,
        kind: Kind,
        secret: Bool = false,
        quotesValue: Bool = true,
        optional: Bool = false,
        allowed: String,
        apply: @escaping @Sendable (inout ServeSettings, String) throws -> Void,
        effective: @escaping @Sendable (ServeSettings) -> EffectiveValue?
    ) {
        self.key = key
        self.environmentName = environment ?? "HERALD_" + key.uppercased()
        self.flag = flag
        self.kind = kind
        self.isSecret = secret
        self.quotesValue = quotesValue && !secret
        self.isOptional = optional
        self.allowed = allowed
        self.apply = apply
        self.effective = effective
    }

    /// A value the setting does not allow; the loader words the refusal from `allowed`.
    struct Refused: Error {}

    /// A value as `herald config print` writes it in YAML.
    public enum EffectiveValue: Sendable, Equatable {
        case text(String)
        case literal(String)
        case list([String])
        /// A list of numbers.
        case literalList([String])
    }
}

/// Where a setting's value came from.
public enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    case flag(String)
    case environment(String)
    case file(key: String, path: String)
    case defaultValue

    public var description: String {
        switch self {
        case .flag(let flag): flag
        case .environment(let name): name
        case .file(let key, let path): "\(key) in \(path)"
        case .defaultValue: "default"
        }
    }
}
