import GRDB
import HeraldCore

extension SealedColumns {
    init(row: Row, sealer: SecretSealer) throws {
        try self.init(
            secret: row["secret"],
            previousSecrets: row["previous_secrets"],
            headers: row["headers"],
            appID: row["app_id"],
            endpointID: row["id"],
            sealer: sealer
        )
    }
}
