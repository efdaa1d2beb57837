import Foundation
import HTTPTypes
import HeraldCore

extension InProcessAPI {
    /// An id, uid or name as one path segment of `send`: ASCII letters, digits, `-`, `_` and `.` as they are, anything
    /// else percent-encoded, so a value never changes which route is called. An empty value is refused.
    public static func segment(_ value: String) throws -> String {
        guard !value.isEmpty else { throw HeraldKitError.emptyIdentifier }
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        // "." and ".." are path steps, not names.
        if encoded == "." || encoded == ".." { encoded = encoded.replacingOccurrences(of: ".", with: "%2E") }
        return encoded
    }
}

private func component(_ value: String) throws -> String {
    try InProcessAPI.segment(value)
}

func jsonBody(_ value: some Encodable) throws -> [UInt8] {
    Array(try HeraldJSON.encoder.encode(value))
}

extension Herald {
    /// Messages (events): each one fans out to every matching endpoint of its application.
    public struct Messages: Sendable {
        let api: InProcessAPI

        /// Publishes an event to application `app` (its id or uid). Returns once the message and its deliveries are
        /// committed: from then on it is delivered at least once to every endpoint it matches, whatever happens to
        /// the process. A retry with the same `idempotencyKey` (within 12 hours or the retention period if shorter,
        /// even after a restart) returns the first message without publishing again; a second message with the same
        /// `eventID` is refused with 409 (the Svix API's rule).
        @discardableResult
        public func create(
            app: String,
            eventType: String,
            payload: some Encodable,
            eventID: String? = nil,
            channels: [String]? = nil,
            idempotencyKey: String? = nil
        ) async throws -> Message {
            try await create(
                app: app,
                eventType: eventType,
                payloadJSON: try jsonBody(payload),
                eventID: eventID,
                channels: channels,
                idempotencyKey: idempotencyKey
            )
        }

        /// Publishes an event whose payload is JSON text already (a JSON object), sent on byte for byte.
        @discardableResult
        public func create(
            app: String,
            eventType: String,
            payloadJSON: [UInt8],
            eventID: String? = nil,
            channels: [String]? = nil,
            idempotencyKey: String? = nil
        ) async throws -> Message {
            // The payload goes in as its bytes, so it must be exactly one JSON object: anything after it would be read as
            // fields of the message (`channels`, `eventId`, …). The other fields are encoded by JSONEncoder.
            guard StrictJSON.validate(payloadJSON) == nil, payloadJSON.first(where: { !Self.isWhitespace($0) }) == UInt8(ascii: "{") else {
                throw HeraldKitError.payloadNotAJSONObject
            }
            var body = Array(#"{"eventType":"#.utf8) + (try jsonBody(eventType))
            if let eventID { body += Array(#","eventId":"#.utf8) + (try jsonBody(eventID)) }
            if let channels { body += Array(#","channels":"#.utf8) + (try jsonBody(channels)) }
            body += Array(#","payload":"#.utf8) + payloadJSON + Array("}".utf8)
            var headers = HTTPFields()
            if let idempotencyKey { headers[HTTPField.Name("idempotency-key")!] = idempotencyKey }
            return try await api.call(.post, "/app/\(component(app))/msg?with_content=false", json: body, headers: headers, as: Message.self)
        }

        static func isWhitespace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }

        /// A message of application `app`, by id or event id.
        public func get(app: String, id: String) async throws -> Message {
            try await api.call(.get, "/app/\(component(app))/msg/\(component(id))?with_content=false", as: Message.self)
        }
    }

    /// Applications: one per customer.
    public struct Applications: Sendable {
        let api: InProcessAPI

        private struct ApplicationIn: Encodable {
            var name: String
            var uid: String?
            var metadata: [String: String]?
        }

        /// Creates an application; with `uid`, returns the existing one of that uid instead of failing.
        @discardableResult
        public func create(name: String, uid: String? = nil, metadata: [String: String]? = nil) async throws -> Application {
            let query = uid == nil ? "" : "?get_if_exists=true"
            let body = try jsonBody(ApplicationIn(name: name, uid: uid, metadata: metadata))
            return try await api.call(.post, "/app" + query, json: body, as: Application.self)
        }

        /// An application by id or uid.
        public func get(_ app: String) async throws -> Application {
            try await api.call(.get, "/app/\(component(app))", as: Application.self)
        }

        /// Deletes an application, its endpoints and its messages.
        public func delete(_ app: String) async throws {
            try await api.callIgnoringBody(.delete, "/app/\(component(app))")
        }

        /// A link to the customer portal of `app`, valid 28 days: its endpoints, event catalogue and message log.
        public func portalAccess(_ app: String) async throws -> PortalAccess {
            try await api.call(.post, "/auth/app-portal-access/\(component(app))", json: Array("{}".utf8), as: PortalAccess.self)
        }
    }

    /// Endpoints: the URLs an application's webhooks go to.
    public struct Endpoints: Sendable {
        let api: InProcessAPI

        private struct EndpointIn: Encodable {
            var url: String
            var uid: String?
            var description: String?
            var eventTypes: [String]?
            var channels: [String]?
            var secret: String?
        }

        private struct SecretOut: Decodable {
            var key: String
        }

        private struct Page<Item: Decodable>: Decodable {
            var data: [Item]
        }

        /// Adds an endpoint to `app`. `eventTypes` nil receives every event type; `secret` (`whsec_…`) nil has one
        /// generated (read it with `secret(app:endpoint:)`).
        @discardableResult
        public func create(
            app: String,
            url: String,
            uid: String? = nil,
            description: String? = nil,
            eventTypes: [String]? = nil,
            channels: [String]? = nil,
            secret: String? = nil
        ) async throws -> Endpoint {
            let input = EndpointIn(url: url, uid: uid, description: description, eventTypes: eventTypes, channels: channels, secret: secret)
            return try await api.call(.post, "/app/\(component(app))/endpoint", json: try jsonBody(input), as: Endpoint.self)
        }

        /// The endpoints of `app` (the first 250).
        public func list(app: String) async throws -> [Endpoint] {
            try await api.call(.get, "/app/\(component(app))/endpoint?limit=250", as: Page<Endpoint>.self).data
        }

        /// The signing secret of an endpoint: `whsec_…` (HMAC) or `whpk_…` (Ed25519 public key).
        public func secret(app: String, endpoint: String) async throws -> String {
            try await api.call(.get, "/app/\(component(app))/endpoint/\(component(endpoint))/secret", as: SecretOut.self).key
        }

        /// Deletes an endpoint; its pending deliveries are dropped.
        public func delete(app: String, endpoint: String) async throws {
            try await api.callIgnoringBody(.delete, "/app/\(component(app))/endpoint/\(component(endpoint))")
        }
    }

    /// The event-type catalogue, shown in the portal.
    public struct EventTypes: Sendable {
        let api: InProcessAPI

        private struct EventTypeIn: Encodable {
            var name: String
            var description: String
        }

        /// Creates or updates the event type `name`.
        @discardableResult
        public func upsert(name: String, description: String) async throws -> EventType {
            let body = try jsonBody(EventTypeIn(name: name, description: description))
            return try await api.call(.put, "/event-type/\(component(name))", json: body, as: EventType.self)
        }
    }
}
