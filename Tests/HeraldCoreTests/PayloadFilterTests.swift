import Foundation
import HeraldCore
import Testing

@Suite struct PayloadFilterTests {
    static let payload = json(
        """
        {"type": "invoice.paid", "data": {"amount": 1200, "currency": "eur", "ratio": 0.5, "note": null,
         "customer": {"country": "FR", "tags": ["vip", "beta"]},
         "items": [{"sku": "a-1", "qty": 2}, {"sku": "b-2", "qty": 7}]}}
        """
    )

    static func json(_ text: String) -> JSONValue {
        JSONValue(parsing: Array(text.utf8)) ?? .null
    }

    static func matches(_ filter: String, _ payload: JSONValue = payload) throws -> Bool {
        try PayloadFilter.parse(json(filter), at: ["filter"]).matches(payload)
    }

    static func issues(_ filter: String) -> [ValidationIssue] {
        do {
            _ = try PayloadFilter.parse(json(filter), at: ["body", "filter"])
            return []
        } catch {
            return error.issues
        }
    }

    @Test(arguments: [
        (#"{}"#, true),
        (#"{"type": "invoice.paid"}"#, true),
        (#"{"type": "invoice.failed"}"#, false),
        (#"{"data.amount": 1200}"#, true),
        (#"{"data.amount": 1200.0}"#, true),
        (#"{"data.amount": {"$eq": 1200}}"#, true),
        (#"{"data.amount": {"$ne": 1200}}"#, false),
        (#"{"data.missing": {"$ne": 1}}"#, true),
        (#"{"data.currency": {"$in": ["usd", "eur"]}}"#, true),
        (#"{"data.currency": {"$nin": ["usd", "eur"]}}"#, false),
        (#"{"data.missing": {"$nin": ["usd"]}}"#, true),
        (#"{"data.amount": {"$gt": 1000, "$lte": 1200}}"#, true),
        (#"{"data.amount": {"$gt": 1200}}"#, false),
        (#"{"data.amount": {"$gte": 1199.5}}"#, true),
        (#"{"data.ratio": {"$lt": 1}}"#, true),
        (#"{"data.amount": {"$gt": "1"}}"#, false),
        (#"{"data.currency": {"$gt": "abc", "$lt": "f"}}"#, true),
        (#"{"data.note": {"$exists": true}}"#, true),
        (#"{"data.note": null}"#, true),
        (#"{"data.missing": null}"#, true),
        (#"{"data.missing": {"$exists": false}}"#, true),
        (#"{"data.missing": {"$exists": true}}"#, false),
        (#"{"data.customer": {"country": "FR", "tags": ["vip", "beta"]}}"#, true),
        (#"{"data.customer": {"country": "FR"}}"#, false),
        (#"{"data.customer.tags": "vip"}"#, true),
        (#"{"data.customer.tags": ["vip", "beta"]}"#, true),
        (#"{"data.customer.tags": {"$in": ["gold", "beta"]}}"#, true),
        (#"{"data.customer.tags.1": "beta"}"#, true),
        (#"{"data.customer.tags.5": {"$exists": true}}"#, false),
        (#"{"data.items.sku": "b-2"}"#, true),
        (#"{"data.items.qty": {"$gt": 5}}"#, true),
        (#"{"data.items.qty": {"$gt": 7}}"#, false),
        (#"{"data.items.0.qty": {"$gt": 5}}"#, false),
        (#"{"data.amount": {"$not": {"$gt": 5000}}}"#, true),
        (#"{"data.amount": {"$not": {"$lt": 5000}}}"#, false),
        (#"{"$not": {"data.currency": "eur"}}"#, false),
        (#"{"$and": [{"type": "invoice.paid"}, {"data.amount": {"$gte": 1000}}]}"#, true),
        (#"{"$and": [{"type": "invoice.paid"}, {"data.amount": {"$gte": 5000}}]}"#, false),
        (#"{"$or": [{"type": "x"}, {"data.customer.country": "FR"}]}"#, true),
        (#"{"$or": [{"type": "x"}, {"data.customer.country": "DE"}]}"#, false),
        (#"{"type": "invoice.paid", "data.currency": "usd"}"#, false),
    ])
    func matchesAsDocumented(filter: String, expected: Bool) throws {
        #expect(try Self.matches(filter) == expected, "\(filter)")
    }

    @Test func aPayloadThatIsNotAnObjectMatchesOnlyFiltersWithoutPaths() throws {
        #expect(try Self.matches(#"{}"#, .array([.integer(1)])))
        #expect(try !Self.matches(#"{"a": 1}"#, .string("a")))
        #expect(try Self.matches(#"{"a": {"$exists": false}}"#, .null))
    }

    @Test func largeIntegersCompareExactly() throws {
        let payload = Self.json(#"{"id": 9007199254740993}"#)
        #expect(try Self.matches(#"{"id": 9007199254740993}"#, payload))
        #expect(try !Self.matches(#"{"id": 9007199254740992}"#, payload))
        #expect(try Self.matches(#"{"id": {"$gt": 9007199254740992}}"#, payload))
    }

    @Test func everyProblemIsReportedWithItsLocation() {
        let issues = Self.issues(
            #"{"a": {"$regex": "x"}, "$where": "1", "b": {"$gt": [1]}, "c": {"$in": 3}, "d": {"$exists": 1}, "e..f": 1, "$or": []}"#
        )
        let located = Set(issues.map { $0.loc.joined(separator: "/") })
        #expect(
            located == [
                "body/filter/a/$regex", "body/filter/$where", "body/filter/b/$gt", "body/filter/c/$in", "body/filter/d/$exists",
                "body/filter/e..f", "body/filter/$or",
            ]
        )
    }

    @Test func shapesThatAreNotFiltersAreRefused() {
        #expect(Self.issues(#"[1]"#).map(\.loc) == [["body", "filter"]])
        #expect(Self.issues(#"{"a": {"$eq": 1, "b": 2}}"#).map(\.msg) == ["mixes operators with plain keys"])
        #expect(Self.issues(#"{"a": {"$not": 3}}"#).map(\.loc) == [["body", "filter", "a", "$not"]])
        #expect(Self.issues(#"{"$and": [{"a": 1}, 2]}"#).map(\.loc) == [["body", "filter", "$and", "1"]])
    }

    @Test func sizeAndNestingAreBounded() {
        let wide = "{" + (0..<70).map { "\"k\($0)\": 1" }.joined(separator: ",") + "}"
        #expect(Self.issues(wide).count == 1)
        var deep = #"{"a": 1}"#
        for _ in 0..<10 { deep = #"{"$not": \#(deep)}"# }
        #expect(Self.issues(deep).contains { $0.msg.contains("nests deeper") })
        let longPath = (0..<17).map { "p\($0)" }.joined(separator: ".")
        #expect(!Self.issues(#"{"\#(longPath)": 1}"#).isEmpty)
        let bigList = "[" + (0..<300).map(String.init).joined(separator: ",") + "]"
        #expect(!Self.issues(#"{"a": {"$in": \#(bigList)}}"#).isEmpty)
        let bigLiteral = String(repeating: "x", count: 9000)
        #expect(Self.issues(#"{"a": "\#(bigLiteral)"}"#).map(\.msg) == ["must be at most 8192 bytes as JSON"])
        var deepNots = #"{"$gt": 1}"#
        for _ in 0..<12 { deepNots = #"{"$not": \#(deepNots)}"# }
        #expect(!Self.issues(#"{"a": \#(deepNots)}"#).isEmpty)
    }

    @Test func operatorsCountTowardTheLimitAndWalksAreBounded() throws {
        let operators = "{" + (0..<40).map { #""k\#($0)": {"$gt": 1, "$exists": true}"# }.joined(separator: ",") + "}"
        #expect(Self.issues(operators).count == 1)
        // A path through a large array stops after its budget: unmatched, not slow, not a crash.
        let many = JSONValue.object(["items": .array((0..<50_000).map { .object(["sku": .integer(Int64($0))]) })])
        #expect(try Self.matches(#"{"items.sku": 5}"#, many))
        #expect(try !Self.matches(#"{"items.sku": 49999}"#, many))
    }

    @Test func theSourceIsKeptAsWritten() throws {
        let source = Self.json(#"{"data.amount": {"$gte": 10}}"#)
        #expect(try PayloadFilter.parse(source, at: []).source == source)
    }
}
