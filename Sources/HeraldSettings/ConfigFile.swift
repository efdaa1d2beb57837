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
        case list(hasBoolean: Bool)
        /// `~`, `null`, `""` or `[]`: nothing given.
        case null
    }

    let path: String
    /// Nil for an empty file (or one of comments only).
    let snapshot: (any ConfigSnapshot)?
    let shapes: [String: Shape]

    /// A config file is small; anything larger is a mistake (or not a config file).
    static let maximumBytes = 1 << 20

    /// Reads and parses the file. Problems with single keys are returned; a file that cannot be read at all throws. No message quotes the file's text: it may hold secrets.
    static func read(path: String, known: Set<String>) throws -> (file: ConfigFile, problems: [String]) {
        let data = try contents(of: path)
        guard let text = String(data: data, encoding: .utf8), !text.contains("\0") else {
            throw ConfigurationError("the config file \(path) is not UTF-8 text")
        }
        let lowercased = path.lowercased()
        let isJSON = lowercased.hasSuffix(".json")
        guard isJSON || lowercased.hasSuffix(".yaml") || lowercased.hasSuffix(".yml") else {
            throw ConfigurationError("the config file \(path) must end in .yaml, .yml or .json")
        }
        if let line = firstAnchorOrAlias(in: text) {
            throw ConfigurationError(
                "the config file \(path) uses a YAML anchor or alias (line \(line)); Herald's settings are plain values"
            )
        }
        let root: Node?
        do {
            // YAML is a superset of JSON, so one parser gives the shapes of both.
            root = try Yams.compose(yaml: text)
        } catch {
            let format = isJSON ? "JSON" : "YAML"
            throw ConfigurationError("the config file \(path) is not valid \(format): \(safeDescription(of: error, known: known))")
        }
        guard let root else { return (ConfigFile(path: path, snapshot: nil, shapes: [:]), []) }
        guard let mapping = root.mapping else {
            throw ConfigurationError("the config file \(path) must hold a mapping of settings (key: value)")
        }
        // Herald has a few dozen settings; a file with thousands of keys is not a config file (and would make the
        // value parser's work grow with its square).
        guard mapping.count <= 1000 else {
            throw ConfigurationError("the config file \(path) has \(mapping.count) keys; Herald has \(known.count) settings")
        }
        var shapes: [String: Shape] = [:]
        var problems: [String] = []
        // Values are read (by swift-configuration's snapshot) only from a file of plain values: nested mappings are
        // what its parser walks, and a large one costs it time growing with the square of its size.
        var isPlain = true
        for (keyNode, value) in mapping {
            let shape: Shape? =
                switch value {
                case .scalar(let scalar) where value.tag == .init(.null) || scalar.string.isEmpty: .null
                case .scalar: .scalar(isBoolean: value.tag == .init(.bool))
                case .sequence(let items) where items.isEmpty: .null
                case .sequence(let items) where items.allSatisfy({ $0.scalar != nil }):
                    .list(hasBoolean: items.contains { $0.tag == .init(.bool) })
                default: nil
                }
            guard let key = keyNode.scalar?.string, keyNode.tag == .init(.str) else {
                problems.append("\(path): a key must be a plain name")
                isPlain = false
                continue
            }
            guard known.contains(key) else {
                problems.append("unknown key '\(key)' in \(path)" + Self.suggestion(for: key, among: known))
                isPlain = isPlain && shape != nil
                continue
            }
            guard let shape else {
                problems.append("\(key) in \(path) must be a single value or a list of values, not a mapping")
                isPlain = false
                continue
            }
            shapes[key] = shape
        }
        guard isPlain else { return (ConfigFile(path: path, snapshot: nil, shapes: shapes), problems) }
        let snapshot: any ConfigSnapshot
        let bytes = Array(data)
        do {
            snapshot =
                isJSON
                ? try JSONSnapshot(data: bytes.span.bytes, providerName: path, parsingOptions: .default)
                : try YAMLSnapshot(data: bytes.span.bytes, providerName: path, parsingOptions: .default)
        } catch {
            throw ConfigurationError("the config file \(path) cannot be read as settings")
        }
        return (ConfigFile(path: path, snapshot: snapshot, shapes: shapes), problems)
    }

    /// The file's bytes: a regular file only (a FIFO or a device would block or never end), at most `maximumBytes`.
    private static func contents(of path: String) throws -> Data {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigurationError("cannot read the config file \(path) (missing, or not readable by this user)")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw ConfigurationError("the config file \(path) is not a regular file")
        }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while data.count <= maximumBytes {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw ConfigurationError("cannot read the config file \(path)") }
            guard count > 0 else { return data }
            data.append(contentsOf: chunk.prefix(count))
        }
        throw ConfigurationError("the config file \(path) is larger than \(maximumBytes) bytes")
    }

    /// The line of the first YAML anchor (`&name`) or alias (`*name`) outside quotes and comments. Refused before
    /// parsing: a flat file of settings has no use for them, and aliases are how a small file becomes an endless
    /// parse. (A `&` or `*` inside a plain value, as in a password, does not start a token and is not one.)
    static func firstAnchorOrAlias(in text: String) -> Int? {
        let newline = UInt8(ascii: "\n")
        let tokenStarts: Set<UInt8> = Set(" \t\r\n[{,:?-".utf8)
        var line = 1
        var quote: UInt8?
        var escaped = false
        var inComment = false
        var previous = newline
        for byte in text.utf8 {
            defer {
                if byte == newline { line += 1 }
                previous = byte
            }
            if inComment {
                inComment = byte != newline
                continue
            }
            if let open = quote {
                if escaped {
                    escaped = false
                } else if open == UInt8(ascii: "\"") && byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == open {
                    quote = nil
                }
                continue
            }
            guard tokenStarts.contains(previous) else { continue }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "#"): inComment = true
            case UInt8(ascii: "&"), UInt8(ascii: "*"): return line
            default: break
            }
        }
        return nil
    }

    /// Where and what the parser found wrong, never the text around it (Yams' own descriptions quote the file).
    private static func safeDescription(of error: any Error, known: Set<String>) -> String {
        guard let error = error as? YamlError else { return "it cannot be parsed" }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "\(problem) at line \(mark.line), column \(mark.column)"
        case .duplicatedKeysInMapping(let duplicates, _):
            // Only setting names are named: a nested mapping's keys are the operator's text.
            let names = duplicates.filter(known.contains).sorted()
            return names.isEmpty ? "a key is given twice" : "a key is given twice (\(names.joined(separator: ", ")))"
        case .reader(let problem, _, _, _):
            return problem
        default:
            return "it cannot be parsed"
        }
    }

    /// The value of `key` as text (a list joined with commas, as the environment writes it), or nil if absent.
    func text(for key: String) throws -> String? {
        guard let shape = shapes[key], shape != .null, let snapshot else { return nil }
        let configKey = AbsoluteConfigKey([key])
        let types: [ConfigType] =
            if case .list = shape { [.stringArray, .intArray, .doubleArray] } else { [.string, .int, .double, .bool] }
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
