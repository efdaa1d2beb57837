/// Which endpoints a message fans out to (the Svix rules). The backends read an application's live, enabled
/// endpoints and write what `targets` returns; neither says in its own dialect who matches.
public enum EndpointMatching {
    /// A live, enabled endpoint: where it is and what it takes.
    public struct Candidate: Sendable {
        public var id: String
        public var url: String
        public var eventTypes: [String]?
        public var channels: [String]?
        /// The endpoint policy's payload filter, if it has one.
        public var filter: PayloadFilter?
        /// Its deliveries go in message order (`DeliveryOrdering.fifo`): each is stored parked behind the head.
        public var ordered: Bool

        public init(id: String, url: String, eventTypes: [String]?, channels: [String]?, filter: PayloadFilter? = nil, ordered: Bool = false) {
            self.ordered = ordered
            self.id = id
            self.url = url
            self.eventTypes = eventTypes
            self.channels = channels
            self.filter = filter
        }
    }

    /// Where one message goes: pushed deliveries, and entries in polling endpoints' feeds.
    public struct Targets: Sendable, Hashable {
        public var deliveries: [String] = []
        public var feeds: [String] = []
        /// The endpoints of `deliveries` whose deliveries go in order (stored parked behind their head).
        public var ordered: [String] = []

        public init(deliveries: [String] = [], feeds: [String] = [], ordered: [String] = []) {
            self.deliveries = deliveries
            self.feeds = feeds
            self.ordered = ordered
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

    /// The endpoints among `candidates` that receive a message of `eventType` on `channels` with `payload`. The
    /// payload is parsed only if a matching endpoint has a payload filter, and then once; one that is not JSON (or is
    /// gone) matches no filter.
    public static func targets(eventType: String, channels: [String]?, payload: [UInt8]?, candidates: [Candidate]) -> Targets {
        var targets = Targets()
        var parsed: JSONValue??
        for candidate in candidates {
            guard matches(eventTypes: candidate.eventTypes, channels: candidate.channels, eventType: eventType, messageChannels: channels)
            else { continue }
            if let filter = candidate.filter {
                if parsed == nil { parsed = .some(payload.flatMap(JSONValue.init(parsing:))) }
                guard let document = parsed ?? nil, filter.matches(document) else { continue }
            }
            if candidate.url == EndpointURL.poller {
                targets.feeds.append(candidate.id)
            } else {
                targets.deliveries.append(candidate.id)
                if candidate.ordered { targets.ordered.append(candidate.id) }
            }
        }
        return targets
    }
}
