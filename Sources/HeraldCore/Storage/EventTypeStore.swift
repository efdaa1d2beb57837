/// Where an organisation's event-type catalogue lives.
public protocol EventTypeStore: Sendable {
    /// Inserts an event type, or replaces an archived one of the same name; throws 409 `event_type_exists` for a live one.
    func createEventType(_ eventType: EventType) async throws
    /// The event type with this name, archived or not.
    func eventType(orgID: String, name: String) async throws -> EventType?
    func updateEventType(_ eventType: EventType) async throws
    /// Deletes an event type for good (`expunge`).
    func deleteEventType(orgID: String, name: String) async throws
    /// Lists event types by name; archived ones only when asked.
    func listEventTypes(orgID: String, includeArchived: Bool, page: PageRequest) async throws -> Page<EventType>
    /// Which of `names` exist (live) in the org.
    func existingEventTypeNames(orgID: String, among names: [String]) async throws -> Set<String>
}
