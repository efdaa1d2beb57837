import Crypto
import Foundation

/// An invoice a merchant bills its customer.
public struct Invoice: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case open, paid
    }

    public var id: String
    public var merchantId: String
    public var amountCents: Int
    public var currency: String
    public var description: String
    public var status: Status
    /// RFC 3339.
    public var paidAt: String?
}

/// The thin event pushed through Herald: ids only. The merchant fetches the invoice itself, so a webhook never carries
/// data that could be stale or more than the receiver is allowed to see.
public struct InvoicePaid: Codable, Sendable {
    public var invoiceId: String
    public var merchantId: String
}

/// The payments service's own records. Kept in memory: this example is about the events, not the bookkeeping.
actor Ledger {
    /// Merchants by the SHA-256 of their API key: the keys themselves are never kept, and a lookup compares digests,
    /// not the secret, byte by byte.
    private var merchantsByKeyDigest: [Data: String] = [:]
    private var invoices: [String: Invoice] = [:]

    func addMerchant(id: String, apiKey: String) {
        merchantsByKeyDigest[Self.digest(apiKey)] = id
    }

    /// The merchant whose API key this is.
    func merchant(apiKey: String) -> String? {
        merchantsByKeyDigest[Self.digest(apiKey)]
    }

    static func digest(_ key: String) -> Data {
        Data(SHA256.hash(data: Data(key.utf8)))
    }

    func addInvoice(_ invoice: Invoice) {
        invoices[invoice.id] = invoice
    }

    func invoice(_ id: String) -> Invoice? {
        invoices[id]
    }

    /// Marks an invoice paid (once; paying again changes nothing) and returns it.
    func pay(_ id: String, at date: Date) -> Invoice? {
        guard var invoice = invoices[id] else { return nil }
        if invoice.status == .open {
            invoice.status = .paid
            invoice.paidAt = date.formatted(.iso8601)
            invoices[id] = invoice
        }
        return invoice
    }
}
