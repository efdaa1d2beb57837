import Foundation

/// The merchant's books: each paid invoice counted once, however often its event arrives.
actor Books {
    private(set) var booked: [String: Int] = [:]
    private(set) var totals: [String: Int] = [:]
    private(set) var duplicates = 0
    private(set) var lastBookedAt: String?

    func contains(_ invoiceID: String) -> Bool { booked[invoiceID] != nil }

    /// Books an invoice; false when it was booked already (then it counts as a duplicate).
    func book(invoiceID: String, amountCents: Int, currency: String) -> Bool {
        guard booked[invoiceID] == nil else {
            duplicates += 1
            return false
        }
        booked[invoiceID] = amountCents
        totals[currency, default: 0] += amountCents
        lastBookedAt = Date().formatted(.iso8601)
        return true
    }

    func noteDuplicate() { duplicates += 1 }

    var summary: Totals {
        Totals(invoices: booked.count, totalsCents: totals, duplicatesIgnored: duplicates, lastBookedAt: lastBookedAt)
    }
}

/// What the merchant's live page shows.
public struct Totals: Codable, Sendable, Equatable {
    public var invoices: Int
    public var totalsCents: [String: Int]
    public var duplicatesIgnored: Int
    /// RFC 3339.
    public var lastBookedAt: String?
}
