/// One failed check of a request, in the Svix validation shape: where (`loc`), what (`msg`), which kind (`type`).
public struct ValidationIssue: Sendable, Hashable, Codable {
    public var loc: [String]
    public var msg: String
    public var type: String

    public init(loc: [String], msg: String, type: String = "value_error") {
        self.loc = loc
        self.msg = msg
        self.type = type
    }
}
