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
    struct Merchant {
        var name: String
        var apiKey: String
    }

    private var merchants: [String: Merchant] = [:]
    private var invoices: [String: Invoice] = [:]

    func addMerchant(id: String, name: String, apiKey: String) {
        merchants[id] = Merchant(name: name, apiKey: apiKey)
    }

    /// The merchant whose API key this is.
    func merchant(apiKey: String) -> String? {
        merchants.first { $0.value.apiKey == apiKey }?.key
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
