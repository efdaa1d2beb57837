import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

/// The payments service's REST API as its callers use it: a merchant signing up and billing, a customer paying, and
/// the merchant fetching an invoice an event points at.
public struct PaymentsAPI: Sendable {
    public let baseURL: String

    public init(baseURL: String) {
        self.baseURL = baseURL
    }

    /// What a merchant gets at sign-up (the payments service's `MerchantAccount`).
    public struct Account: Decodable, Sendable {
        public var merchantId: String
        public var apiKey: String
        public var webhookSecret: String?
        public var pollingEndpoint: String?
        public var pollingToken: String?
        public var portalURL: String
    }

    /// An invoice as the API shows it.
    public struct Invoice: Decodable, Sendable {
        public var id: String
        public var amountCents: Int
        public var currency: String
        public var status: String
    }

    struct SignUp: Encodable {
        var name: String
        var webhookURL: String?
    }

    struct NewInvoice: Encodable {
        var amountCents: Int
        var currency: String
    }

    public func signUp(name: String, webhookURL: String?) async throws -> Account {
        try await call("POST", "/merchants", body: SignUp(name: name, webhookURL: webhookURL), as: Account.self)
    }

    public func bill(apiKey: String, cents: Int, currency: String = "EUR") async throws -> Invoice {
        try await call("POST", "/invoices", body: NewInvoice(amountCents: cents, currency: currency), apiKey: apiKey, as: Invoice.self)
    }

    /// A customer pays (in this example anyone may).
    @discardableResult
    public func pay(_ invoiceID: String) async throws -> Invoice {
        try await call("POST", "/invoices/\(Self.segment(invoiceID))/pay", body: [String: String](), as: Invoice.self)
    }

    public func invoice(_ invoiceID: String, apiKey: String) async throws -> Invoice {
        try await call("GET", "/invoices/\(Self.segment(invoiceID))", apiKey: apiKey, as: Invoice.self)
    }

    func call<T: Decodable>(
        _ method: String,
        _ path: String,
        body: (some Encodable)? = [String: String]?.none,
        apiKey: String? = nil,
        as type: T.Type
    ) async throws -> T {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .RAW(value: method)
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(try JSONEncoder().encode(body))
        }
        if let apiKey { request.headers.add(name: "authorization", value: "Bearer " + apiKey) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw PaymentsAPIError(status: Int(response.status.code), path: path, body: String(buffer: bytes)) }
        return try JSONDecoder().decode(T.self, from: Data(buffer: bytes))
    }

    /// An id as one path segment.
    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["_", "-"])) ?? id
    }
}

/// The payments API answered something other than 200.
public struct PaymentsAPIError: Error, CustomStringConvertible {
    public let status: Int
    public let path: String
    public let body: String
    public var description: String { "payments API answered \(status) to \(path): \(body)" }
}
