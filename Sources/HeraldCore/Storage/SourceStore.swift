import Crypto

/// Where an application's inbound sources live.
public protocol SourceStore: Sendable {
    /// Inserts a source, and an idempotent request's `answer` in the same transaction; throws 409 when its uid is
    /// taken in the application.
    func createSource(_ source: Source, answer: IdempotentAnswer?) async throws
    /// The source with this id or uid in the application, if any.
    func source(appID: String, idOrUID: String) async throws -> Source?
    /// The source whose ingest token this is, with its application's organisation; nil when none.
    func source(ingestToken: String) async throws -> (source: Source, orgID: String)?
    /// Replaces a source's fields (not its token); throws 409 when the new uid is taken.
    func updateSource(_ source: Source) async throws
    /// Replaces a source's ingest token alone (a change of other fields made at the same moment cannot undo it).
    func rotateSourceToken(appID: String, id: String, token: String, at time: Timestamp) async throws
    /// Deletes a source: its ingest URL stops answering at once. Messages received from it stay.
    func deleteSource(appID: String, id: String) async throws
    /// Lists an application's sources by id.
    func listSources(appID: String, page: PageRequest) async throws -> Page<Source>
    /// How many sources the application has.
    func countSources(appID: String) async throws -> Int
    /// Adds counted traffic to each source's totals (a source deleted meanwhile is skipped).
    func addSourceTraffic(_ traffic: [String: SourceTraffic]) async throws
}

extension Source {
    /// What the store indexes an ingest token by: its SHA-256, so the table never answers a lookup by the token itself.
    public static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).hexString
    }

    /// A new ingest token: 32 random bytes, URL-safe.
    public static func makeToken() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        return "insrc_" + bytes.hexString
    }
}
