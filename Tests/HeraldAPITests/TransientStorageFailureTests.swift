import HeraldCore
import Logging
import Testing

@testable import HeraldAPI

/// Regression (found by the soak, issue #20): with SQLite's disk full, creating a message answered a 500 (and logged
/// "unhandled error" for each request); a database that cannot take the request now is a 503, as PostgreSQL's outages are.
@Suite struct TransientStorageFailureTests {
    struct DriverError: TransientStorageFailure {
        var isTransient: Bool
    }

    @Test func aTransientDriverErrorIsA503AndAnyOtherStaysA500() {
        let logger = Logger(label: "test")
        #expect(ErrorResponses.heraldError(from: DriverError(isTransient: true), logger: logger).kind == .serviceUnavailable)
        #expect(ErrorResponses.heraldError(from: DriverError(isTransient: false), logger: logger).kind == .internalError)
    }
}
