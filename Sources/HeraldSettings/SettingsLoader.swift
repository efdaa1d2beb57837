import Configuration
import HeraldCore

/// `herald serve`'s settings as loaded: flags over environment over the config file over defaults, each setting with
/// where its value came from.
public struct LoadedSettings: Sendable {
    public var settings: ServeSettings
    /// The source of every setting, by key (`.defaultValue` when nothing set it).
    public var sources: [String: SettingSource]
    /// The config file read, if any.
    public var configFile: String?

    /// Loads every setting, reporting every bad one at once (`SettingsError`), never the first alone.
    /// - Parameters:
    ///   - flags: values given as flags, by setting key (e.g. `["port": "8080"]`).
    ///   - environment: the process environment; `HERALD_CONFIG` names a config file when `configFile` is nil.
    ///   - configFile: the `--config` path.
    public init(flags: [String: String], environment: [String: String], configFile: String?) throws {
        let catalogue = Setting.catalogue
        var problems: [String] = []
        var file: ConfigFile?
        let path = configFile ?? environment["HERALD_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        if let path {
            let read = try ConfigFile.read(path: path, known: Set(catalogue.map(\.key)))
            file = read.file
            problems += read.problems
        }
        let flagValues = InMemoryProvider(
            name: "flags",
            values: Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey([$0.key]), ConfigValue(.string($0.value), isSecret: false)) })
        )
        let environmentValues = EnvironmentVariablesProvider(environmentVariables: environment)

        var settings = ServeSettings()
        var sources: [String: SettingSource] = [:]
        for setting in catalogue {
            // The file's value is checked even when a flag or variable overrides it: `config check` must catch what
            // fails once the override is gone.
            var fileValue: String?
            if let file {
                let source = SettingSource.file(key: setting.key, path: file.path)
                do {
                    fileValue = try Self.fileValue(of: setting, in: file)
                    if let fileValue {
                        var scratch = settings
                        try setting.apply(&scratch, fileValue)
                    }
                } catch {
                    problems.append(Self.refusal(of: setting, source: source, value: fileValue, error))
                    continue
                }
            }
            let chosen: (text: String?, source: SettingSource)
            if let flag = setting.flag,
                let text = try flagValues.value(forKey: AbsoluteConfigKey([setting.key]), type: .string).value?.content.stringValue
            {
                chosen = (text, .flag(flag))
            } else if let text = try environmentValues.value(forKey: Self.variableKey(setting), type: .string).value?.content.stringValue,
                !text.isEmpty || Self.emptyMeansNone(setting)
            {
                chosen = (text.isEmpty ? nil : text, .environment(setting.environmentName))
            } else if let fileValue, let file {
                chosen = (fileValue, .file(key: setting.key, path: file.path))
            } else {
                chosen = (nil, .defaultValue)
            }
            sources[setting.key] = chosen.source
            guard let text = chosen.text else { continue }
            do {
                try setting.apply(&settings, text)
            } catch {
                problems.append(Self.refusal(of: setting, source: chosen.source, value: text, error))
            }
        }
        if settings.herald.metricsPort != nil, !settings.herald.metricsEnabled {
            problems.append("metrics_port needs metrics on: with metrics false there is nothing to serve on it")
        }
        if let metricsPort = settings.herald.metricsPort, metricsPort != 0, metricsPort == settings.herald.port {
            problems.append("metrics_port must differ from port (\(metricsPort)): /metrics is already served on the API port, with a token")
        }
        guard problems.isEmpty else { throw SettingsError(problems: problems) }
        self.settings = settings
        self.sources = sources
        self.configFile = path
    }

    /// Whether an empty variable means "none" (the default, whatever the file says) rather than "not set": only where
    /// none is the narrow choice (no extra subnets, no public URL, no operational webhooks). An empty variable for a
    /// required or secret setting is as if it were not there, so a blank line in an env file never widens the listen
    /// address, drops a database URL or makes a new key.
    private static func emptyMeansNone(_ setting: Setting) -> Bool {
        setting.isOptional && !setting.isSecret
    }

    /// The provider upper-cases the key and joins its words with "_", which gives back the variable's name.
    private static func variableKey(_ setting: Setting) -> AbsoluteConfigKey {
        AbsoluteConfigKey([setting.environmentName.lowercased()])
    }

    /// The file's value for `setting` as text, nil if the file leaves it out; refuses a shape the setting cannot take.
    private static func fileValue(of setting: Setting, in file: ConfigFile) throws -> String? {
        switch file.shapes[setting.key] {
        case nil: return nil
        case .null?:
            guard setting.isOptional else { throw Setting.Refused() }
            return nil
        case .scalar(isBoolean: true)? where setting.kind != .boolean: throw Setting.Refused()
        case .list(let hasBoolean)? where setting.kind != .list || hasBoolean: throw Setting.Refused()
        default: return try file.text(for: setting.key)
        }
    }

    /// "SOURCE must be ALLOWED, not 'VALUE'" (secrets never echoed); a `ConfigurationError` keeps its own words.
    private static func refusal(of setting: Setting, source: SettingSource, value: String?, _ error: any Error) -> String {
        if let error = error as? ConfigurationError, setting.quotesValue { return "\(source): \(error.description)" }
        guard let value, setting.quotesValue else { return "\(source) must be \(setting.allowed)" }
        return "\(source) must be \(setting.allowed), not '\(value)'"
    }
}

extension ConfigContent {
    fileprivate var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}

/// Every problem found in the settings, one per line.
public struct SettingsError: Error, CustomStringConvertible {
    public let problems: [String]

    public var description: String { problems.joined(separator: "\n") }
}
