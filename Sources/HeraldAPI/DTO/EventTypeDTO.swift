import Foundation
import HeraldCore

/// `EventTypeIn` (create) and `EventTypeUpdate` (PUT, where the name comes from the path).
struct EventTypeIn: Decodable, Sendable {
    var name: String?
    var description: String
    var archived: Bool?
    var deprecated: Bool?
    var featureFlag: String?
    var schemas: [String: JSONValue]?

    func validate(name: String) throws {
        var issues = FieldRules.checkEventTypeName(name, loc: ["body", "name"])
        if description.utf8.count > 4096 {
            issues.append(ValidationIssue(loc: ["body", "description"], msg: "must be at most 4096 bytes"))
        }
        if let featureFlag { issues += FieldRules.checkEventTypeName(featureFlag, loc: ["body", "featureFlag"]) }
        if let schemas { issues += EventTypeSchemas.check(schemas) }
        if !issues.isEmpty { throw HeraldError.validation(issues) }
    }
}

/// `EventTypePatch`.
struct EventTypePatch: Decodable, Sendable {
    var description: Patch<String>
    var archived: Patch<Bool>
    var deprecated: Patch<Bool>
    var featureFlag: Patch<String>
    var schemas: Patch<[String: JSONValue]>

    enum CodingKeys: String, CodingKey {
        case description, archived, deprecated, featureFlag, schemas
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        description = try container.decodePatch(String.self, forKey: .description)
        archived = try container.decodePatch(Bool.self, forKey: .archived)
        deprecated = try container.decodePatch(Bool.self, forKey: .deprecated)
        featureFlag = try container.decodePatch(String.self, forKey: .featureFlag)
        schemas = try container.decodePatch([String: JSONValue].self, forKey: .schemas)
    }

    func apply(to eventType: inout EventType) throws {
        var issues: [ValidationIssue] = []
        if let flag = featureFlag.value { issues += FieldRules.checkEventTypeName(flag, loc: ["body", "featureFlag"]) }
        if let schemas = schemas.value { issues += EventTypeSchemas.check(schemas) }
        if !issues.isEmpty { throw HeraldError.validation(issues) }
        eventType.description = description.applied(to: eventType.description) ?? eventType.description
        eventType.archived = archived.applied(to: eventType.archived) ?? false
        eventType.deprecated = deprecated.applied(to: eventType.deprecated) ?? false
        eventType.featureFlag = featureFlag.applied(to: eventType.featureFlag)
        switch schemas {
        case .unchanged: break
        case .clear: eventType.schemas = nil
        case .set(let value): eventType.schemas = EventTypeSchemas.encode(value)
        }
    }
}

/// Event-type schemas are kept as JSON text.
enum EventTypeSchemas {
    /// Each version's schema must be a JSON object (a JSON Schema).
    static func check(_ schemas: [String: JSONValue]) -> [ValidationIssue] {
        schemas.sorted { $0.key < $1.key }.compactMap { version, schema in
            schema.objectValue == nil ? ValidationIssue(loc: ["body", "schemas", version], msg: "each schema must be a JSON object") : nil
        }
    }

    static func encode(_ schemas: [String: JSONValue]?) -> String? {
        guard let schemas, let data = try? JSONEncoder().encode(schemas) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String?) -> [String: JSONValue]? {
        guard let text else { return nil }
        return try? JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
    }
}

/// `EventTypeOut`.
struct EventTypeOut: Encodable {
    var name: String
    var description: String
    var archived: Bool
    var deprecated: Bool
    var featureFlag: String?
    var schemas: [String: JSONValue]?
    var createdAt: Timestamp
    var updatedAt: Timestamp

    init(_ eventType: EventType, withSchemas: Bool = true) {
        name = eventType.name
        description = eventType.description
        archived = eventType.archived
        deprecated = eventType.deprecated
        featureFlag = eventType.featureFlag
        schemas = withSchemas ? EventTypeSchemas.decode(eventType.schemas) : nil
        createdAt = eventType.createdAt
        updatedAt = eventType.updatedAt
    }
}
