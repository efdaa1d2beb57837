import HeraldCore

/// Inbound sources: the same statements on every backend. The ingest token and the verification (which holds the
/// sender's secret) are sealed, bound to the source's row; the token is found by its hash.
extension SQLStore {
    public func createSource(_ source: Source, answer: IdempotentAnswer?) async throws {
        let sealed = try sealedColumns(of: source)
        var insert = statement(
            "INSERT INTO sources (id, app_id, uid, name, token_hash, token, verification, mapping, rate_limit, disabled, metadata,"
                + " created_at, updated_at) VALUES ("
        )
        insert.append(
            [
                insert.bind(source.id), insert.bind(source.appID), insert.bind(source.uid), insert.bind(source.name),
                insert.bind(Source.tokenHash(source.token)), insert.bind(sealed.token), insert.bind(sealed.verification),
                insert.bind(JSONColumn.encode(source.mapping)), insert.bind(source.rateLimit), insert.bind(source.disabled),
                insert.bind(JSONColumn.encode(source.metadata)), insert.bind(source.createdAt), insert.bind(source.updatedAt),
            ].joined(separator: ", ") + ")"
        )
        var statements = [insert]
        if let answer {
            // Kept with the source (a crash between two commits would let a retry under the same key create another).
            var keep = statement(
                "INSERT INTO idempotency_keys (key, state, lock_until, response, resource_id, expires_at) VALUES ("
            )
            let sealedAnswer = try answer.response.sealed(with: sealer, key: answer.key)
            keep.append(
                "\(keep.bind(answer.key)), 'completed', NULL, \(keep.bind(.bytes(sealedAnswer))),"
                    + " \(keep.bind(source.id)), \(keep.bind(answer.expiresAt)))"
                    + " ON CONFLICT (key) DO UPDATE SET state = 'completed', lock_until = NULL, response = excluded.response,"
                    + " resource_id = excluded.resource_id, expires_at = excluded.expires_at"
            )
            statements.append(keep)
        }
        try await write(statements, conflict: .duplicate(.sourceUID))
    }

    public func source(appID: String, idOrUID: String) async throws -> Source? {
        let column = IDPrefix.source.isID(idOrUID) ? "id" : "uid"
        var select = statement("SELECT * FROM sources WHERE ")
        select.append("app_id = \(select.bind(appID)) AND \(column) = \(select.bind(idOrUID))")
        let sealer = self.sealer
        return try await rows(select) { try Source(stored: $0, sealer: sealer) }.first
    }

    public func source(ingestToken: String) async throws -> (source: Source, orgID: String)? {
        var select = statement("SELECT s.*, a.org_id FROM sources s JOIN applications a ON a.id = s.app_id WHERE ")
        select.append("s.token_hash = \(select.bind(Source.tokenHash(ingestToken))) AND a.deleted_at IS NULL")
        let sealer = self.sealer
        return try await rows(select) { (source: try Source(stored: $0, sealer: sealer), orgID: try $0.text("org_id")) }.first
    }

    public func updateSource(_ source: Source) async throws {
        let sealed = try sealedColumns(of: source)
        var update = statement("UPDATE sources SET ")
        update.append(
            "uid = \(update.bind(source.uid)), name = \(update.bind(source.name)), "
                + "verification = \(update.bind(sealed.verification)), mapping = \(update.bind(JSONColumn.encode(source.mapping))), "
                + "rate_limit = \(update.bind(source.rateLimit)), disabled = \(update.bind(source.disabled)), "
                + "metadata = \(update.bind(JSONColumn.encode(source.metadata))), updated_at = \(update.bind(source.updatedAt))"
                + " WHERE id = \(update.bind(source.id)) AND app_id = \(update.bind(source.appID))"
        )
        try await write([update], conflict: .duplicate(.sourceUID))
    }

    public func rotateSourceToken(appID: String, id: String, token: String, at time: Timestamp) async throws {
        let sealed = try sealer.seal(token, boundTo: Source.sealingContexts(id: id).token)
        var update = statement("UPDATE sources SET ")
        update.append(
            "token_hash = \(update.bind(Source.tokenHash(token))), token = \(update.bind(sealed)), updated_at = \(update.bind(time))"
                + " WHERE id = \(update.bind(id)) AND app_id = \(update.bind(appID))"
        )
        try await write([update])
    }

    public func deleteSource(appID: String, id: String) async throws {
        var delete = statement("DELETE FROM sources WHERE ")
        delete.append("id = \(delete.bind(id)) AND app_id = \(delete.bind(appID))")
        try await write([delete])
    }

    public func listSources(appID: String, page: PageRequest) async throws -> Page<Source> {
        var select = statement("SELECT * FROM sources WHERE ")
        select.append("app_id = \(select.bind(appID))")
        select.appendPaging(column: "id", page: page)
        let sealer = self.sealer
        return page.page(fromScanned: try await rows(select) { try Source(stored: $0, sealer: sealer) })
    }

    public func countSources(appID: String) async throws -> Int {
        var count = statement("SELECT COUNT(*) AS n FROM sources WHERE ")
        count.append("app_id = \(count.bind(appID))")
        return try await rows(count) { try $0.int("n") }.first ?? 0
    }

    public func addSourceTraffic(_ traffic: [String: SourceTraffic]) async throws {
        let updates = traffic.sorted { $0.key < $1.key }.filter { !$0.value.isEmpty }.map { id, counted in
            var update = statement("UPDATE sources SET ")
            update.append(
                "received = received + \(update.bind(counted.received)), accepted = accepted + \(update.bind(counted.accepted)), "
                    + "duplicates = duplicates + \(update.bind(counted.duplicates)), rejected = rejected + \(update.bind(counted.rejected)), "
                    + "last_rejection = COALESCE(\(update.bind(counted.lastRejection)), last_rejection), "
                    + "last_rejected_at = COALESCE(\(update.bind(counted.lastRejectedAt?.milliseconds)), last_rejected_at), "
                    // This instance's latest samples replace the stored ones (several instances: the last to write).
                    + "recent_rejections = COALESCE(\(update.bind(counted.recentRejections.isEmpty ? nil : JSONColumn.encode(counted.recentRejections))), recent_rejections)"
                    + " WHERE id = \(update.bind(id))"
            )
            return update
        }
        guard !updates.isEmpty else { return }
        // Counters: a crash may lose the last few seconds of them, so they never wait for a flush of their own.
        try await writeRelaxed(updates)
    }

    private func sealedColumns(of source: Source) throws -> (token: String, verification: String) {
        let contexts = Source.sealingContexts(id: source.id)
        return (
            try sealer.seal(source.token, boundTo: contexts.token),
            try sealer.seal(JSONColumn.encode(source.verification), boundTo: contexts.verification)
        )
    }
}

extension Source {
    /// What the sealed columns are bound to: a value copied to another row or column does not open there.
    static func sealingContexts(id: String) -> (token: String, verification: String) {
        ("source:\(id):token", "source:\(id):verification")
    }

    public init(stored row: some StoredRow, sealer: SecretSealer) throws {
        let id = try row.text("id")
        let contexts = Source.sealingContexts(id: id)
        let token: String
        let verification: SourceVerification
        do {
            token = try sealer.open(try row.text("token"), boundTo: contexts.token)
            guard
                let opened = try JSONColumn.decode(
                    SourceVerification.self,
                    try sealer.open(try row.text("verification"), boundTo: contexts.verification)
                )
            else { throw StorageError.unreadable("a source's verification is empty") }
            verification = opened
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.unreadable("a source's sealed columns do not open with this key")
        }
        self.init(
            id: id,
            appID: try row.text("app_id"),
            uid: try row.optionalText("uid"),
            name: try row.text("name"),
            verification: verification,
            mapping: try JSONColumn.decode(SourceMapping.self, try row.text("mapping")) ?? SourceMapping(),
            token: token,
            rateLimit: try row.int("rate_limit"),
            disabled: try row.bool("disabled"),
            metadata: try JSONColumn.decode([String: String].self, try row.text("metadata")) ?? [:],
            createdAt: try row.timestamp("created_at"),
            updatedAt: try row.timestamp("updated_at")
        )
        traffic = try SourceTraffic(stored: row)
    }
}

extension SourceTraffic {
    init(stored row: some StoredRow) throws {
        self.init()
        received = try row.integer("received")
        accepted = try row.integer("accepted")
        duplicates = try row.integer("duplicates")
        rejected = try row.integer("rejected")
        lastRejection = try row.optionalText("last_rejection")
        lastRejectedAt = try row.optionalTimestamp("last_rejected_at")
        // Samples only: an unreadable list is shown as none rather than failing the read.
        recentRejections = (try? JSONColumn.decode([RejectionSample].self, try row.optionalText("recent_rejections"))) ?? []
    }
}
