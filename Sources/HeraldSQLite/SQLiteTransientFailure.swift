import GRDB
import HeraldCore

/// SQLite's "not now" answers (`TransientStorageFailure`): its disk full, an I/O error, the database still busy when
/// its timeout ran out. The request may succeed when tried again; the API answers 503.
extension DatabaseError: TransientStorageFailure {
    public var isTransient: Bool {
        resultCode == .SQLITE_FULL || resultCode == .SQLITE_IOERR || resultCode == .SQLITE_BUSY
    }
}
