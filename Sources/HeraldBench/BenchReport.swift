import Foundation

/// The end-of-run table and the `--json` line.
public enum BenchReport {
    public static func table(_ results: [(BenchScenario, [(String, Double)])]) -> String {
        var lines = ["scenario    figure                          value"]
        for (scenario, figures) in results {
            for (name, value) in figures {
                lines.append(
                    scenario.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + name.padding(toLength: max(32, name.count + 1), withPad: " ", startingAt: 0) + String(format: "%.2f", value)
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON object keyed by scenario, each an object of figures.
    public static func json(_ results: [(BenchScenario, [(String, Double)])]) -> String {
        var object: [String: [String: Double]] = [:]
        for (scenario, figures) in results {
            object[scenario.rawValue] = Dictionary(figures.map { ($0.0, ($0.1 * 1000).rounded() / 1000) }, uniquingKeysWith: { $1 })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(object)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
