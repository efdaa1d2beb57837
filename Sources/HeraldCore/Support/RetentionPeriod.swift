/// How long Herald keeps messages and their attempts (`HERALD_RETENTION`): a whole number and a unit, `30s`, `15m`,
/// `12h` or `90d`, from one second to 100 years.
public struct RetentionPeriod: Sendable, Hashable, CustomStringConvertible {
    public let seconds: Int64

    public static let maximumSeconds: Int64 = 100 * 365 * 86_400
    private static let units: [(suffix: Character, seconds: Int64)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]

    public init?(seconds: Int64) {
        guard (1...Self.maximumSeconds).contains(seconds) else { return nil }
        self.seconds = seconds
    }

    public init?(parsing text: String) {
        guard let suffix = text.last, let unit = Self.units.first(where: { $0.suffix == suffix }),
            text.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int64(text.dropLast()),
            case let (total, overflow) = count.multipliedReportingOverflow(by: unit.seconds), !overflow
        else { return nil }
        self.init(seconds: total)
    }

    /// In the largest unit that divides it: `90d`, `36h`, `45s`.
    public var description: String {
        let unit = Self.units.first { seconds % $0.seconds == 0 } ?? (suffix: "s", seconds: 1)
        return "\(seconds / unit.seconds)\(unit.suffix)"
    }
}
