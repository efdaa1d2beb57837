/// Which endpoints a message fans out to (the Svix rules). The backends read an application's live, enabled
/// endpoints and write what `targets` returns; neither says in its own dialect who matches.
public enum EndpointMatching {
    /// A live, enabled endpoint as stored: its filters still in their column text.
    public struct Candidate: Sendable {
        public var id: String
        public var url: String
        public var eventTypesColumn: String?
        public var channelsColumn: String?

        public init(id: String, url: String, eventTypesColumn: String?, channelsColumn: String?) {
            self.id = id
            self.url = url
            self.eventTypesColumn = eventTypesColumn
            self.channelsColumn = channelsColumn
        }
    }

    /// Where one message goes: pushed deliveries, and entries in polling endpoints' feeds.
    public struct Targets: Sendable, Hashable {
        public var deliveries: [String] = []
        public var feeds: [String] = []

        public init(deliveries: [String] = [], feeds: [String] = []) {
            self.deliveries = deliveries
            self.feeds = feeds
        }
    }

    /// Whether a live, enabled endpoint with these filters receives a message of `eventType` on `channels`:
    /// no event-type filter means every type; an endpoint with channels takes only messages sharing one of them.
    public static func matches(
        eventTypes filter: [String]?,
        channels endpointChannels: [String]?,
        eventType: String,
        messageChannels: [String]?
    ) -> Bool {
        if let filter, !filter.contains(eventType) { return false }
        if let endpointChannels {
            guard let messageChannels, !Set(endpointChannels).isDisjoint(with: messageChannels) else { return false }
        }
        return true
    }

    /// Endpoint filters by their stored text. Decoding is a pure function of the text, so one cache serves every store.
    private static let decodedFilters = ColumnCache<String, [String]?>()

    private static func filter(_ text: String?) throws -> [String]? {
        guard let text else { return nil }
        return try decodedFilters.value(for: text) { try JSONColumn.decode([String].self, text) }
    }

    /// The endpoints among `candidates` that receive a message of `eventType` on `channels`.
    public static func targets(eventType: String, channels: [String]?, candidates: [Candidate]) throws -> Targets {
        var targets = Targets()
        for candidate in candidates {
            let eventTypes = try filter(candidate.eventTypesColumn)
            let endpointChannels = try filter(candidate.channelsColumn)
            guard matches(eventTypes: eventTypes, channels: endpointChannels, eventType: eventType, messageChannels: channels)
            else { continue }
            if candidate.url == EndpointURL.poller {
                targets.feeds.append(candidate.id)
            } else {
                targets.deliveries.append(candidate.id)
            }
        }
        return targets
    }
}
