import Configuration
import Foundation
import HeraldCore
import Yams

/// A `herald serve` config file, YAML or JSON by its extension, read once: the shape of every key is checked on the
/// same bytes swift-configuration's snapshot reads values from.
struct ConfigFile {
    /// What a top-level key holds.
    enum Shape: Equatable {
        case scalar(isBoolean: Bool)
        case list
        /// `~`, `null`, `""` or `[]`: the key is as good as absent.
        case null
    }

    let path: String
    let snapshot: any ConfigSnapshot
    let shapes: [String: Shape]

    /// A config file is small; anything larger is a mistake (or not a config file).
    static let maximumBytes = 1 << 20

    /// Reads and parses the file; problems with single keys are returned, a file that cannot be read at all throws.
    static func read(path: String, known: Set<String>) throws -> (file: ConfigFile, problems: [String]) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigurationError("cannot read the config file \(path) (missing, or not readable by this user)")
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: maximumBytes + 1) ?? Data()
        guard data.count <= maximumBytes else {
            throw ConfigurationError("the config file \(path) is larger than \(maximumBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("the config file \(path) is not UTF-8 text")
        }
        let isJSON = path.lowercased().hasSuffix(".json")
        guard isJSON || path.lowercased().hasSuffix(".yaml") || path.lowercased().hasSuffix(".yml") else {
            throw ConfigurationError("the config file \(path) must end in .yaml, .yml or .json")
        }
        let root: Node?
        do {
            // YAML is a superset of JSON, so one parser gives the shapes of both.
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("the config file \(path) is not valid \(isJSON ? "JSON" : "YAML"): \(error)")
        }
        var shapes: [String: Shape] = [:]
        var problems: [String] = []
        if let root {
            guard let mapping = root.mapping else {
                throw ConfigurationError("the config file \(path) must hold a mapping of settings (key: value)")
            }
            for (keyNode, value) in mapping {
                guard let key = keyNode.string, keyNode.tag == .init(.str) else {
                    problems.append("\(path): a key must be a name, not '\(keyNode.string ?? "?")'")
                    continue
                }
                guard known.contains(key) else {
                    problems.append("unknown key '\(key)' in \(path)" + Self.suggestion(for: key, among: known))
                    continue
                }
                switch value {
                case .scalar(let scalar) where value.tag == .init(.null) || scalar.string.isEmpty: shapes[key] = .null
                case .scalar: shapes[key] = .scalar(isBoolean: value.tag == .init(.bool))
                // An empty list sets nothing, as an empty variable does.
                case .sequence(let items) where items.isEmpty: shapes[key] = .null
                case .sequence(let items) where items.allSatisfy({ $0.scalar != nil }): shapes[key] = .list
                default: problems.append("\(key) in \(path) must be a single value or a list of values, not a mapping")
                }
            }
        }
        let snapshot: any ConfigSnapshot
        let bytes = Array(data)
        do {
            snapshot =
                isJSON
                ? try JSONSnapshot(data: bytes.span.bytes, providerName: path, parsingOptions: .default)
                : try YAMLSnapshot(data: bytes.span.bytes, providerName: path, parsingOptions: .default)
        } catch {
            throw ConfigurationError("the config file \(path) cannot be read as settings: \(error)")
        }
        return (ConfigFile(path: path, snapshot: snapshot, shapes: shapes), problems)
    }

    /// The value of `key` as text (a list joined with commas, as the environment writes it), or nil if absent.
    func text(for key: String) throws -> String? {
        guard let shape = shapes[key], shape != .null else { return nil }
        let configKey = AbsoluteConfigKey([key])
        let types: [ConfigType] = shape == .list ? [.stringArray, .intArray, .doubleArray] : [.string, .int, .double, .bool]
        for type in types {
            guard let content = try? snapshot.value(forKey: configKey, type: type).value?.content else { continue }
            switch content {
            case .string(let value): return value
            case .int(let value): return String(value)
            case .double(let value): return String(value)
            case .bool(let value): return String(value)
            case .stringArray(let values): return values.joined(separator: ",")
            case .intArray(let values): return values.map(String.init).joined(separator: ",")
            case .doubleArray(let values): return values.map { String($0) }.joined(separator: ",")
            default: continue
            }
        }
        throw Setting.Refused()
    }

    /// " (did you mean 'x'?)" for a key one or two edits from a known one.
    private static func suggestion(for key: String, among known: Set<String>) -> String {
        let candidates: [(name: String, distance: Int)] = known.sorted().map { ($0, editDistance(key, $0)) }
        let nearest = candidates.min { $0.distance < $1.distance }
        guard let nearest, nearest.distance <= 2 else { return "; see README's Configuration table for the keys" }
        return " (did you mean '\(nearest.name)'?)"
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                let substitution: Int = previous[j] + (x == y ? 0 : 1)
                let edit: Int = Swift.min(previous[j + 1], current[j]) + 1
                current.append(Swift.min(edit, substitution))
            }
            previous = current
        }
        return previous[b.count]
    }
}
