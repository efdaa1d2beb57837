import Foundation

extension Herald {
    /// An application: one of your customers, who receives webhooks at its endpoints.
    public struct Application: Decodable, Sendable, Equatable {
        public var id: String
        public var uid: String?
        public var name: String
        public var metadata: [String: String]
        public var createdAt: Date
    }

    /// Where an application's webhooks go.
    public struct Endpoint: Decodable, Sendable, Equatable {
        public var id: String
        public var uid: String?
        public var url: String
        public var description: String
        public var disabled: Bool
        /// Event types this endpoint receives; nil receives all.
        public var eventTypes: [String]?
        public var channels: [String]?
        public var createdAt: Date
    }

    /// A message (an event), as stored: every matching endpoint receives it.
    public struct Message: Decodable, Sendable, Equatable {
        public var id: String
        public var eventType: String
        public var eventId: String?
        public var channels: [String]?
        public var timestamp: Date
    }

    /// An event type of the catalogue.
    public struct EventType: Decodable, Sendable, Equatable {
        public var name: String
        public var description: String
        public var archived: Bool
    }

    /// A link (and its token) that opens the customer portal of one application.
    public struct PortalAccess: Decodable, Sendable, Equatable {
        public var url: String
        public var token: String
    }
}
