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
            let found: (text: String, source: SettingSource)?
            do {
                found = try Self.value(of: setting, flags: flagValues, environment: environmentValues, file: file)
            } catch {
                problems.append(Self.refusal(of: setting, source: .file(key: setting.key, path: path ?? ""), value: nil, error))
                continue
            }
            guard let found else {
                sources[setting.key] = .defaultValue
                continue
            }
            do {
                try setting.apply(&settings, found.text)
                sources[setting.key] = found.source
            } catch {
                problems.append(Self.refusal(of: setting, source: found.source, value: found.text, error))
            }
        }
        guard problems.isEmpty else { throw SettingsError(problems: problems) }
        self.settings = settings
        self.sources = sources
        self.configFile = path
    }

    /// The first source that sets `setting`: its flag, its variable (empty counts as unset), its file key.
    private static func value(
        of setting: Setting,
        flags: InMemoryProvider,
        environment: EnvironmentVariablesProvider,
        file: ConfigFile?
    ) throws -> (text: String, source: SettingSource)? {
        if let flag = setting.flag,
            case .string(let text)? = try flags.value(forKey: AbsoluteConfigKey([setting.key]), type: .string).value?.content
        {
            return (text, .flag(flag))
        }
        // The provider upper-cases the key and joins its words with "_", which gives back the variable's name.
        let variable = AbsoluteConfigKey([setting.environmentName.lowercased()])
        if case .string(let text)? = try environment.value(forKey: variable, type: .string).value?.content, !text.isEmpty {
            return (text, .environment(setting.environmentName))
        }
        guard let file else { return nil }
        if case .scalar(isBoolean: true)? = file.shapes[setting.key], setting.kind != .boolean { throw Setting.Refused() }
        if file.shapes[setting.key] == .list, setting.kind != .list { throw Setting.Refused() }
        return try file.text(for: setting.key).map { ($0, .file(key: setting.key, path: file.path)) }
    }

    /// "SOURCE must be ALLOWED, not 'VALUE'" (secrets never echoed); a `ConfigurationError` keeps its own words.
    private static func refusal(of setting: Setting, source: SettingSource, value: String?, _ error: any Error) -> String {
        if let error = error as? ConfigurationError, !setting.isSecret { return "\(source): \(error.description)" }
        guard let value, !setting.isSecret else { return "\(source) must be \(setting.allowed)" }
        return "\(source) must be \(setting.allowed), not '\(value)'"
    }
}

/// Every problem found in the settings, one per line.
public struct SettingsError: Error, CustomStringConvertible {
    public let problems: [String]

    public var description: String { problems.joined(separator: "\n") }
}
