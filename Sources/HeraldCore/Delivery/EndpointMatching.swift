/// Which endpoints a message fans out to (the Svix rules).
public enum EndpointMatching {
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
}
