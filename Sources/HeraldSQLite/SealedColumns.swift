import GRDB
import HeraldCore

/// The endpoint columns that hold secrets — the signing key, the rotated-out keys, the custom headers — sealed with
/// the main key on write and opened on read.
struct SealedColumns {
    var secret: EndpointSecret
    var previousSecrets: [ExpiringSecret]
    var headers: [String: String]

    init(secret: EndpointSecret, previousSecrets: [ExpiringSecret], headers: [String: String]) {
        self.secret = secret
        self.previousSecrets = previousSecrets
        self.headers = headers
    }

    init(row: Row, sealer: SecretSealer) throws {
        guard let secret = EndpointSecret(parsing: try sealer.open(row["secret"])) else {
            throw HeraldError(kind: .internalError, code: "server_error", detail: "stored endpoint secret is unreadable")
        }
        self.secret = secret
        previousSecrets = try JSONColumn.decode([ExpiringSecret].self, try sealer.open(row["previous_secrets"])) ?? []
        headers = try JSONColumn.decode([String: String].self, try sealer.open(row["headers"])) ?? [:]
    }

    /// Sealed values for the `secret`, `previous_secrets` and `headers` columns, in that order.
    func sealed(with sealer: SecretSealer) throws -> [String] {
        [
            try sealer.seal(secret.description), try sealer.seal(JSONColumn.encode(previousSecrets)),
            try sealer.seal(JSONColumn.encode(headers)),
        ]
    }
}
